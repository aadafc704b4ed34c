"""Augmentations by name: flips, 45-degree rotations and Gaussian noise in normalised units."""

from __future__ import annotations

import pytest
import torch

from astrobench.data.transforms import Compose, GaussianNoise, RandomFlip, RandomRotation
from astrobench.errors import ConfigError
from astrobench.protocols.augment import band_scale_needed, pieces, train_transform


def test_astromae_recipes_expand_to_flips_rotations_and_noise() -> None:
    assert pieces("astromae") == ["flip", "rotate45", "noise0.05"]
    assert pieces("astromae-full") == ["flip", "rotate45", "noise0.20"]
    transform = train_transform("astromae", band_std=[2.0, 4.0])
    assert isinstance(transform, Compose)
    flip, rotation, noise = transform.transforms
    assert isinstance(flip, RandomFlip) and isinstance(rotation, RandomRotation)
    assert rotation.max_degrees == 45.0
    assert isinstance(noise, GaussianNoise) and noise.sigma == pytest.approx([0.1, 0.2])


def test_noise_sigma_is_in_units_of_each_bands_scale() -> None:
    torch.manual_seed(0)
    transform = train_transform("noise0.2", band_std=[1.0, 10.0])
    out = transform({"image": torch.zeros(2, 128, 128)})["image"]
    assert out[0].std().item() == pytest.approx(0.2, rel=0.05)
    assert out[1].std().item() == pytest.approx(2.0, rel=0.05)


def test_rotate45_draws_angles_within_45_degrees() -> None:
    torch.manual_seed(1)
    image = torch.zeros(1, 33, 33)
    image[0, 16, 16:] = 1.0  # a ray from the centre along +x
    rotate = train_transform("rotate45")
    for _ in range(20):
        out = rotate({"image": image})["image"][0]
        ys, xs = torch.nonzero(out > 0.3, as_tuple=True)
        far = (xs - 16) ** 2 + (ys - 16) ** 2 > 36
        angle = torch.rad2deg(torch.atan2(-(ys[far] - 16.0), xs[far] - 16.0)).abs()
        assert angle.max().item() <= 47.0  # bilinear smearing adds a little


def test_plain_names_need_no_band_scale_and_none_is_no_transform() -> None:
    assert not band_scale_needed("flip_rotate")
    assert band_scale_needed("astromae")
    assert train_transform("none") is None
    assert isinstance(train_transform("flip"), RandomFlip)


def test_bad_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown augment 'flip\\+spin'"):
        train_transform("flip+spin")
    with pytest.raises(ConfigError, match="needs the data's per-band pixel scale"):
        train_transform("noise0.05")
