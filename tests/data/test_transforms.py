"""Sample -> sample transforms on [C, H, W] tensors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.transforms import (
    AsinhStretch,
    CenterCrop,
    Compose,
    GaussianBlur,
    GaussianNoise,
    PercentileClip,
    RandomFlip,
    RandomRotation,
    Resize,
    SelectBands,
    ZScore,
    rotate,
)
from astrobench.errors import BandError, ConfigError


def _sample(image: torch.Tensor) -> dict:
    return {"image": image, "index": 3, "label": torch.tensor(1)}


def _blob(size: int = 33, sigma: float = 2.0, bands: int = 2) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = (size - 1) / 2
    blob = torch.exp(-((x - centre) ** 2 + (y - centre) ** 2) / (2 * sigma**2))
    return blob.expand(bands, size, size).clone().float()  # [C, H, W]


def test_select_bands_reorders_by_name_and_keeps_other_keys() -> None:
    image = torch.arange(5.0).reshape(5, 1, 1).expand(5, 2, 2)
    out = SelectBands(["z", "g", "r"], list("ugriz"))(_sample(image))
    assert out["image"][:, 0, 0].tolist() == [4.0, 1.0, 2.0]
    assert out["index"] == 3 and out["label"] == 1


def test_select_bands_names_the_absent_band() -> None:
    with pytest.raises(
        BandError, match="band\\(s\\) y not available; the data has bands u,g,r,i,z"
    ):
        SelectBands(["g", "y"], list("ugriz"))


def test_asinh_stretch_per_band_softening() -> None:
    image = torch.full((2, 2, 2), 3.0)
    out = AsinhStretch([1.0, 3.0])(_sample(image))["image"]
    assert out[:, 0, 0].tolist() == pytest.approx([math.asinh(3.0), math.asinh(1.0)])
    with pytest.raises(BandError, match="3 values for an image with 2 bands"):
        AsinhStretch([1.0, 1.0, 1.0])(_sample(image))
    with pytest.raises(ConfigError, match=r"asinh softening must be > 0, got 0.0"):
        AsinhStretch(0.0)


def test_zscore_fit_on_train_split_and_round_trip(small_cutouts: Path) -> None:
    train = np.arange(0, 60, 2)
    zscore = ZScore.fit(small_cutouts, train)
    with CutoutFile(small_cutouts) as cutouts:
        pixels = cutouts.read_images(train).astype(np.float64)
    np.testing.assert_allclose(zscore.mean, pixels.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(zscore.std, pixels.std(axis=(0, 2, 3)), rtol=1e-6)
    restored = ZScore.from_dict(json.loads(json.dumps(zscore.to_dict())))
    assert restored == zscore and restored.bands == list("ugriz")
    normalised = torch.from_numpy(pixels.astype(np.float32))
    normalised = torch.stack([restored({"image": im})["image"] for im in normalised])
    assert normalised.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert (normalised.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-2


def test_zscore_fit_after_band_selection_and_sampling(small_cutouts: Path) -> None:
    select = SelectBands(["z", "g"], list("ugriz"))
    zscore = ZScore.fit(small_cutouts, np.arange(60), before=select, max_objects=10, seed=1)
    assert zscore.bands == ["z", "g"] and len(zscore.mean) == 2
    again = ZScore.fit(small_cutouts, np.arange(60), before=select, max_objects=10, seed=1)
    assert again == zscore


def test_percentile_clip_per_band() -> None:
    image = torch.stack([torch.arange(100.0), torch.arange(100.0) * 10]).reshape(2, 10, 10)
    out = PercentileClip(10, 90)(_sample(image))["image"]
    assert [float(out[0].min()), float(out[0].max())] == pytest.approx([9.9, 89.1])
    assert float(out[1].max()) == pytest.approx(891.0)
    scaled = PercentileClip(10, 90, rescale=True)(_sample(image))["image"]
    assert float(scaled.min()) == 0 and float(scaled.max()) == pytest.approx(1.0)
    with pytest.raises(
        ConfigError, match="percentiles must satisfy 0 <= low < high <= 100, got 90, 10"
    ):
        PercentileClip(90, 10)


def test_center_crop_and_resize() -> None:
    image = torch.arange(36.0).reshape(1, 6, 6)
    crop = CenterCrop(2)(_sample(image))["image"]
    assert crop.tolist() == [[[14.0, 15.0], [20.0, 21.0]]]
    assert CenterCrop((4, 2))(_sample(image))["image"].shape == (1, 4, 2)
    with pytest.raises(ConfigError, match="cannot centre-crop a 6x6 image to 8x8"):
        CenterCrop(8)(_sample(image))
    up = Resize(12)(_sample(torch.ones(3, 6, 6)))["image"]
    assert up.shape == (3, 12, 12) and torch.allclose(up, torch.ones(3, 12, 12))
    down = Resize(3)(_sample(image))["image"]
    assert down.shape == (1, 3, 3) and float(down.mean()) == pytest.approx(
        float(image.mean()), rel=0.02
    )


def test_rotation_by_90_degrees_is_exact_and_random_rotation_is_seeded() -> None:
    image = torch.randn(2, 8, 8)
    turned = rotate(image, 90.0)
    rot90 = [torch.rot90(image, k, dims=(1, 2)) for k in (1, -1)]
    assert any(torch.allclose(turned, r, atol=1e-5) for r in rot90)
    blob = _blob()
    off_centre = torch.roll(blob, shifts=6, dims=2)  # a source right of centre
    quarter = rotate(off_centre, 30.0)
    assert float(quarter.sum()) == pytest.approx(float(off_centre.sum()), rel=1e-3)  # flux kept
    first = RandomRotation(generator=torch.Generator().manual_seed(5))(_sample(off_centre))
    second = RandomRotation(generator=torch.Generator().manual_seed(5))(_sample(off_centre))
    other = RandomRotation(generator=torch.Generator().manual_seed(6))(_sample(off_centre))
    assert torch.equal(first["image"], second["image"])
    assert not torch.allclose(first["image"], other["image"])


def test_random_flip_probabilities() -> None:
    image = torch.arange(4.0).reshape(1, 2, 2)
    assert torch.equal(RandomFlip(1.0, 0.0)(_sample(image))["image"], image.flip(-1))
    assert torch.equal(RandomFlip(0.0, 1.0)(_sample(image))["image"], image.flip(-2))
    assert torch.equal(RandomFlip(0.0, 0.0)(_sample(image))["image"], image)


def test_gaussian_noise_per_band_sigma() -> None:
    image = torch.zeros(2, 64, 64)
    noisy = GaussianNoise([0.1, 2.0], generator=torch.Generator().manual_seed(0))(_sample(image))
    std = noisy["image"].std(dim=(1, 2)).tolist()
    assert std[0] == pytest.approx(0.1, rel=0.05) and std[1] == pytest.approx(2.0, rel=0.05)


def test_global_rng_makes_random_transforms_reproducible() -> None:
    pipeline = Compose([RandomFlip(), RandomRotation(), GaussianNoise(0.1)])
    torch.manual_seed(11)
    first = pipeline(_sample(torch.randn(1, 8, 8).clone()))
    torch.manual_seed(11)
    second = pipeline(_sample(torch.randn(1, 8, 8).clone()))
    assert torch.equal(first["image"], second["image"])


def test_gaussian_blur_widens_psf_and_keeps_flux() -> None:
    blob = _blob(sigma=2.0)
    blurred = GaussianBlur([1.5, 3.0])(_sample(blob))["image"]
    assert blurred.sum(dim=(1, 2)).tolist() == pytest.approx(
        blob.sum(dim=(1, 2)).tolist(), rel=1e-3
    )
    # Convolved Gaussians: sigma adds in quadrature, so the peak drops by sigma^2 ratios.
    expected_peak = [4 / (4 + 1.5**2), 4 / (4 + 3.0**2)]
    np.testing.assert_allclose(blurred[:, 16, 16].numpy(), expected_peak, rtol=0.02)
    from_fwhm = GaussianBlur.from_fwhm(2 * math.sqrt(2 * math.log(2)))
    assert from_fwhm.sigma_pixels == pytest.approx(1.0)


def test_compose_runs_in_order() -> None:
    image = torch.arange(5.0).reshape(5, 1, 1).expand(5, 4, 4).clone()
    pipeline = Compose([SelectBands(["r", "g"], list("ugriz")), CenterCrop(2), AsinhStretch(1.0)])
    out = pipeline(_sample(image))["image"]
    assert out.shape == (2, 2, 2)
    assert float(out[0, 0, 0]) == pytest.approx(math.asinh(2.0))
