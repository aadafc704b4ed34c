"""CutoutDataset: sample dicts of tensors, transforms, DataLoader workers."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset
from astrobench.data.transforms import Compose, GaussianNoise, RandomRotation, SelectBands
from astrobench.errors import MissingColumnError


def test_samples_hold_image_index_and_targets(small_cutouts: Path) -> None:
    dataset = CutoutDataset(small_cutouts, indices=[5, 9], targets=["label", "redshift"])
    assert len(dataset) == 2
    sample = dataset[1]
    assert sample["index"] == 9
    assert sample["image"].shape == (5, 16, 16) and sample["image"].dtype == torch.float32
    assert int(sample["label"]) == 0
    with CutoutFile(small_cutouts) as cutouts:
        np.testing.assert_array_equal(sample["image"].numpy(), cutouts.read_image(9))
        assert float(sample["redshift"]) == pytest.approx(cutouts.column("redshift")[9])


def test_transform_is_applied(small_cutouts: Path) -> None:
    dataset = CutoutDataset(small_cutouts, transform=SelectBands(["g", "r"], list("ugriz")))
    assert dataset[0]["image"].shape == (2, 16, 16)


def test_missing_target_column(small_cutouts: Path) -> None:
    with pytest.raises(MissingColumnError, match="'stellar_mass'"):
        CutoutDataset(small_cutouts, targets=["stellar_mass"])


def test_dataset_pickles_without_its_file_handle(small_cutouts: Path) -> None:
    dataset = CutoutDataset(small_cutouts)
    dataset[0]
    clone = pickle.loads(pickle.dumps(dataset))
    torch.testing.assert_close(clone[3]["image"], dataset[3]["image"])


def _batches(path: Path, seed: int) -> list[torch.Tensor]:
    augment = Compose([RandomRotation(), GaussianNoise(0.5)])
    dataset = CutoutDataset(path, transform=augment, targets=["label"])
    loader = DataLoader(
        dataset,
        batch_size=16,
        shuffle=True,
        num_workers=2,
        generator=torch.Generator().manual_seed(seed),
    )
    return [batch["image"] for batch in loader]


def test_seeded_loader_with_workers_is_reproducible(small_cutouts: Path) -> None:
    first, second, other = (_batches(small_cutouts, s) for s in (0, 0, 1))
    assert sum(b.shape[0] for b in first) == 60
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first[0], other[0])
