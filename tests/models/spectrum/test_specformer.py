"""SpecFormer: tokens against an explicit construction, pooling, intermediates, grid checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from astrobench.errors import ConfigError, DataFormatError
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig
from astrobench.models.spectrum.tokenize import Windowing, pixel_weights, tokenize


def _encoder(n_pixels: int = 95, **kwargs: object) -> SpecFormer:
    torch.manual_seed(0)
    return SpecFormer(SpecFormerConfig(n_pixels, 4000.0, 8000.0, **kwargs))  # type: ignore[arg-type]


def test_tokens_match_an_explicit_construction() -> None:
    rng = np.random.default_rng(1)
    flux = rng.normal(3.0, 2.0, (2, 95))
    tokens = tokenize(torch.tensor(flux, dtype=torch.float32), Windowing(95, 20, 10)).numpy()
    # 95 pixels: windows start at 0, 10, ..., 70 (the tail 80..94 is shorter than 20): 8 windows
    assert tokens.shape == (2, 9, 22)
    for b in range(2):
        mean, std = flux[b].mean(), max(flux[b].std(ddof=1), 0.2)
        assert tokens[b, 0, :2] == pytest.approx([np.arcsinh(mean), np.log(std)], rel=1e-5)
        assert not tokens[b, 0, 2:].any()
        for k in range(8):
            expected = (flux[b, 10 * k : 10 * k + 20] - mean) / std
            np.testing.assert_allclose(tokens[b, k + 1, 2:], expected, rtol=1e-5, atol=1e-5)
            assert not tokens[b, k + 1, :2].any()


def test_flat_spectrum_uses_the_std_floor() -> None:
    flux = torch.full((1, 40), 7.0)
    tokens = tokenize(flux, Windowing(40, 20, 10))
    assert float(tokens[0, 0, 1]) == pytest.approx(np.log(0.2))
    assert torch.isfinite(tokens).all() and not tokens[0, 1:].any()


def test_pixel_weights_are_relative_inverse_variance_with_bad_pixels_zero() -> None:
    ivar = torch.tensor([[1.0, 3.0, 0.0, float("nan")]])
    weights = pixel_weights(ivar, torch.zeros(1, 4))
    np.testing.assert_allclose(weights.numpy(), [[0.5, 1.5, 0.0, 0.0]])
    assert torch.equal(pixel_weights(None, torch.zeros(2, 3)), torch.ones(2, 3))


def test_features_pool_the_final_tokens_and_intermediates_end_with_them() -> None:
    encoder = _encoder().eval()
    flux = torch.randn(3, 95) * 4 + 10
    with torch.no_grad():
        tokens = encoder.forward_tokens(flux)  # [3, 9, 64]
        features = encoder.forward_features({"spectrum": flux})
        inter = encoder.forward_intermediates(flux, [0, 1])
    assert tokens.shape == (3, 9, 64)
    torch.testing.assert_close(features, tokens.mean(dim=1))
    torch.testing.assert_close(inter[-1], tokens)
    assert not torch.allclose(inter[0], inter[1])
    with pytest.raises(ConfigError, match=r"outside 0\.\.1"):
        encoder.forward_intermediates(flux, [2])


def test_features_do_not_depend_on_other_objects_in_the_batch() -> None:
    encoder = _encoder().eval()
    flux = torch.randn(4, 95) * 3 + 5
    with torch.no_grad():
        together = encoder.forward_features(flux)
        alone = torch.cat([encoder.forward_features(flux[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)


def test_paper_size_has_the_papers_parameter_count() -> None:
    encoder = SpecFormer(SpecFormerConfig(7781, 3600.0, 9824.0, size="paper"))
    millions = sum(p.numel() for p in encoder.parameters()) / 1e6
    assert 42.5 < millions < 43.5  # seed 003 Appendix B2: "roughly 43.2 million"
    assert encoder.num_features == 768 and len(encoder.blocks) == 6


def test_grid_checks_name_the_difference() -> None:
    encoder = _encoder()
    encoder.check_grid(np.linspace(4000.0, 8000.0, 95))
    with pytest.raises(DataFormatError, match=r"96 pixels .* expects 95 pixels"):
        encoder.check_grid(np.linspace(4000.0, 8000.0, 96))
    with pytest.raises(DataFormatError, match=r"3900\.0-8000\.0 A"):
        encoder.check_grid(np.linspace(3900.0, 8000.0, 95))
    with pytest.raises(DataFormatError, match="spectra of 90 pixels"):
        encoder.forward_features(torch.zeros(1, 90))


def test_bad_configs_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown spectrum encoder size 'huge'"):
        _encoder(size="huge")
    with pytest.raises(ConfigError, match="fewer than two windows"):
        _encoder(n_pixels=25)
    with pytest.raises(ConfigError, match="stride 30"):
        _encoder(stride=30)


def test_depth_groups_cover_every_parameter_once() -> None:
    encoder = _encoder()
    groups = encoder.depth_groups()
    names = [n for group in groups for n in group]
    assert sorted(names) == sorted(n for n, _ in encoder.named_parameters())
    assert len(groups) == 2 + 2 and "pos_embed" in groups[0]
