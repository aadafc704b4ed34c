"""MAE pretraining data: crop, train-split normalisation, augmentation, blank-cutout filter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_writer import write_cutouts
from astrobench.errors import ConfigError, InsufficientDataError
from astrobench.pretrain.image_data import RandomRot90, blank_fractions, build_pretrain_data


def test_crop_and_normalisation_from_train_split(blob_cutouts: Path) -> None:
    data = build_pretrain_data(blob_cutouts, batch_size=8, crop_px=8)
    assert data.img_size == 8 and data.bands == list("ugriz")
    assert data.train[0]["image"].shape == (5, 8, 8)
    train = torch.stack([data.train[i]["image"] for i in range(len(data.train))])
    # z-scored with statistics of the (cropped) training split: mean 0, std 1 per band
    torch.testing.assert_close(train.mean(dim=(0, 2, 3)), torch.zeros(5), atol=1e-4, rtol=0)
    torch.testing.assert_close(train.std(dim=(0, 2, 3)), torch.ones(5), atol=2e-2, rtol=0)
    assert set(data.train.indices.tolist()).isdisjoint(data.val.indices.tolist())
    assert data.normalisation["kind"] == "zscore" and data.normalisation["crop_px"] == 8


def test_asinh_normalisation_records_softening(blob_cutouts: Path) -> None:
    data = build_pretrain_data(blob_cutouts, batch_size=8, normalisation="asinh")
    assert data.normalisation["kind"] == "asinh" and len(data.normalisation["softening"]) == 5
    assert torch.isfinite(data.train[0]["image"]).all()


def test_rot90_is_lossless() -> None:
    image = torch.arange(2 * 4 * 4.0).reshape(2, 4, 4)
    rotate = RandomRot90(generator=torch.Generator().manual_seed(1))
    turns = []
    for _ in range(40):
        rotated = rotate({"image": image})["image"]
        (k,) = [k for k in range(4) if torch.equal(rotated, torch.rot90(image, k, dims=(1, 2)))]
        turns.append(k)
    # every draw is an exact quarter turn of the image, and all four turns occur
    assert sorted(set(turns)) == [0, 1, 2, 3]
    again = RandomRot90(generator=torch.Generator().manual_seed(1))
    assert torch.equal(again({"image": image})["image"], torch.rot90(image, turns[0], dims=(1, 2)))


def test_blank_cutouts_are_filtered(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.normal(1.0, 0.1, (20, 3, 10, 10)).astype(np.float32)
    images[:5, :, :, :3] = 0.0  # 30 % blank border on five cutouts
    images[5, :, 0, :] = 0.0  # 10 %: kept
    path = write_cutouts(
        tmp_path / "b.h5",
        images,
        {"object_id": np.arange(20)},
        bands=list("gri"),
        pixel_scale_arcsec=1,
    )
    fractions = blank_fractions(path, np.arange(20))
    np.testing.assert_allclose(fractions[:6], [0.3] * 5 + [0.1])
    data = build_pretrain_data(path, batch_size=2, filter_blank=True)
    assert data.n_blank_removed > 0
    assert not set(data.train.indices.tolist()) & {0, 1, 2, 3, 4}
    assert 5 in data.train.indices.tolist() or 5 in data.val.indices.tolist()


def test_too_small_file_and_oversized_crop(blob_cutouts: Path) -> None:
    with pytest.raises(InsufficientDataError, match="fewer than one batch"):
        build_pretrain_data(blob_cutouts, batch_size=1000)
    with pytest.raises(ConfigError, match="larger than"):
        build_pretrain_data(blob_cutouts, batch_size=8, crop_px=17)
