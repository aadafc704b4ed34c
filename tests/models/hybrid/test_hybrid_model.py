"""The assembled hybrid model: features, freezing, initialisation and its input checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from astrobench.errors import ConfigError
from astrobench.models.encoder_checkpoint import save_encoder
from astrobench.models.hybrid.build import build_hybrid
from astrobench.models.hybrid.variants import HYBRID_VARIANTS
from astrobench.models.vit import build_vit

BANDS = list("ugriz")
MAG_STATS = ([20.0] * 5, [1.0] * 5)


def _encoder(tmp_path: Path, layer: str = "plain") -> str:
    torch.manual_seed(3)
    vit = build_vit("vit_tiny", 8, 16, 5, pooling="mean", layer=layer)
    sidecar = {
        "arch": "vit_tiny", "patch_size": 8, "img_size": 16, "in_chans": 5, "bands": BANDS,
        "pooling": "mean", "layer": layer, "normalisation": {"mean": [0.0] * 5, "std": [1.0] * 5},
        "data_hash": "abc", "epochs": 1, "source": "test",
    }  # fmt: skip
    save_encoder(tmp_path / f"enc-{layer}", vit, sidecar)
    return f"ckpt:{tmp_path / f'enc-{layer}'}"


def test_features_are_the_parts_side_by_side(tmp_path: Path) -> None:
    model = build_hybrid(
        HYBRID_VARIANTS.get("plain-astromae"),
        backbone=_encoder(tmp_path),
        bands=BANDS,
        side=16,
        magnitude_stats=MAG_STATS,
        inception_width=0.25,
    ).eval()
    images, mags = torch.randn(4, 5, 16, 16), torch.randn(4, 5) + 20
    with torch.no_grad():
        features = model.features(images, mags)
        d_vit = model.encoder.num_features
        d_inc = model.inception.out_channels
        torch.testing.assert_close(features[:, :d_vit], model.encoder.forward_features(images))
        torch.testing.assert_close(features[:, d_vit + d_inc :], model.magnitude(mags))
        torch.testing.assert_close(model(images, mags), model.head(features))
    linears = [m for m in model.head if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 2 and linears[0].in_features == features.shape[1]


def test_pretrained_encoder_is_frozen_except_its_final_norm(tmp_path: Path) -> None:
    model = build_hybrid(
        HYBRID_VARIANTS.get("plain-vit-inception"),
        backbone=_encoder(tmp_path),
        bands=BANDS,
        side=16,
        inception_width=0.25,
    )
    model.train()
    assert not model.encoder.training and model.inception.training
    before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    inception_before = next(model.inception.parameters()).clone()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    model(torch.randn(4, 5, 16, 16)).pow(2).mean().backward()
    optimizer.step()
    changed = {k for k, v in model.encoder.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("model.norm.") for k in changed)
    assert not torch.equal(next(model.inception.parameters()), inception_before)


def test_scratch_variant_reinitialises_a_checkpointed_encoder(tmp_path: Path) -> None:
    spec = _encoder(tmp_path, "pcm")
    scratch = build_hybrid(
        HYBRID_VARIANTS.get("scratch-pcm-vit"), backbone=spec, bands=BANDS, side=16
    )
    pretrained = build_hybrid(HYBRID_VARIANTS.get("pcm-vit"), backbone=spec, bands=BANDS, side=16)
    weights = "model.blocks.0.attn.qkv.weight"
    assert not torch.equal(
        scratch.encoder.state_dict()[weights], pretrained.encoder.state_dict()[weights]
    )
    assert all(p.requires_grad for p in scratch.encoder.parameters())
    again = build_hybrid(
        HYBRID_VARIANTS.get("scratch-pcm-vit"), backbone=spec, bands=BANDS, side=16
    )
    assert torch.equal(scratch.encoder.state_dict()[weights], again.encoder.state_dict()[weights])


def test_wrong_encoder_or_missing_inputs_are_config_errors(tmp_path: Path) -> None:
    plain = _encoder(tmp_path, "plain")
    with pytest.raises(ConfigError, match="wants a pcm ViT"):
        build_hybrid(HYBRID_VARIANTS.get("pcm-vit"), backbone=plain, bands=BANDS, side=16)
    with pytest.raises(ConfigError, match="random-init"):
        build_hybrid(HYBRID_VARIANTS.get("plain-vit"), backbone="vit_tiny_p8", bands=BANDS, side=16)
    with pytest.raises(ConfigError, match="needs magnitude columns"):
        build_hybrid(HYBRID_VARIANTS.get("henghes"), backbone=None, bands=BANDS, side=16)
    model = build_hybrid(
        HYBRID_VARIANTS.get("henghes"),
        backbone=None,
        bands=BANDS,
        side=16,
        magnitude_stats=MAG_STATS,
    )
    with pytest.raises(ConfigError, match="needs magnitudes"):
        model(torch.randn(1, 5, 16, 16))


def test_builtin_pcm_vit_is_a_pcm_encoder() -> None:
    model = build_hybrid(
        HYBRID_VARIANTS.get("scratch-pcm-vit-magnitude"),
        backbone="vit_tiny_p8?layer=pcm",
        bands=BANDS,
        side=16,
        magnitude_stats=MAG_STATS,
    )
    assert any("pcm" in name for name, _ in model.encoder.named_modules())
    assert model(torch.randn(2, 5, 16, 16), torch.randn(2, 5)).shape == (2, 1)
