"""Image pretraining data (for MAE or any image pretrainer): cutouts, normalisation, augmentation.

Cutouts stream from the HDF5 file through `CutoutDataset` (one file handle per worker process).
Each sample is centre-cropped (AstroMAE uses the central 32x32 of 64x64 ugriz cutouts),
normalised per band with statistics fitted on the training split only, then randomly rotated
by multiples of 90 degrees and flipped (lossless; an arbitrary-angle rotation is optional).
Cutouts whose blank (all-band zero) area exceeds 10 % can be left out, as C-MAE does to avoid
loss spikes from edge artefacts (seed 000, Appendix A).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astrobench.content_hash import content_sha256
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset
from astrobench.data.splits import split_indices
from astrobench.data.transforms import (
    AsinhStretch,
    CenterCrop,
    Compose,
    RandomFlip,
    RandomRotation,
    Transform,
    ZScore,
)
from astrobench.errors import ConfigError, InsufficientDataError

NORMALISATIONS = ("zscore", "asinh")
BLANK_FRACTION_LIMIT = 0.10
_STAT_OBJECTS = 2000


@dataclass
class RandomRot90:
    """Rotate by k x 90 degrees, k uniform in {0, 1, 2, 3} (exact: no interpolation)."""

    generator: torch.Generator | None = field(default=None, repr=False, compare=False)

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        k = int(torch.randint(0, 4, (), generator=self.generator))
        out = dict(sample)
        out["image"] = torch.rot90(sample["image"], k, dims=(-2, -1))  # [C, H, W]
        return out


@dataclass
class PretrainData:
    """The resolved pretraining data: datasets plus what the exported encoder must record."""

    train: CutoutDataset
    val: CutoutDataset
    bands: list[str]
    img_size: int
    normalisation: dict[str, Any]
    data_hash: str  # sha256 of the file's bytes
    n_blank_removed: int
    split_seed: int = 0
    split_scheme: str = "standard"


def blank_fractions(path: Path, indices: np.ndarray, block_objects: int = 256) -> np.ndarray:
    """Fraction of each object's pixels that are zero in every band, [len(indices)]."""
    out = np.empty(indices.size, dtype=np.float64)
    with CutoutFile(path, nan_policy="mask") as cutouts:
        for start in range(0, indices.size, block_objects):
            block = cutouts.read_images(indices[start : start + block_objects])  # [n, C, H, W]
            blank = np.all(block == 0, axis=1)  # [n, H, W]
            out[start : start + block.shape[0]] = blank.reshape(blank.shape[0], -1).mean(axis=1)
    return out


def fit_normalisation(
    path: Path, indices: np.ndarray, method: str, crop: Transform
) -> dict[str, Any]:
    """Per-band normalisation fitted on `indices` (the training split), as a JSON-able dict.

    "zscore": (x - mean) / std. "asinh": asinh(x / softening) with softening = the band's robust
    noise (1.4826 x median absolute deviation), then z-scored.
    """
    if method not in NORMALISATIONS:
        raise ConfigError(
            f"unknown normalisation {method!r}", f"choose one of {', '.join(NORMALISATIONS)}"
        )
    if method == "zscore":
        return ZScore.fit(path, indices, max_objects=_STAT_OBJECTS, before=crop).to_dict()
    with CutoutFile(path) as cutouts:
        sample = np.sort(indices[: min(indices.size, 256)])
        images = cutouts.read_images(sample)  # [n, C, H, W]
    values = images.transpose(1, 0, 2, 3).reshape(images.shape[1], -1)  # [C, n*H*W]
    median = np.median(values, axis=1, keepdims=True)
    mad = np.median(np.abs(values - median), axis=1) * 1.4826
    softening = np.where(mad > 0, mad, 1.0).tolist()
    stretch = AsinhStretch(softening)
    stats = ZScore.fit(path, indices, max_objects=_STAT_OBJECTS, before=Compose([crop, stretch]))
    return {"kind": "asinh", "softening": softening, "mean": stats.mean, "std": stats.std}


def normalisation_transform(stats: dict[str, Any]) -> Transform:
    """The transform that applies a `fit_normalisation` result."""
    zscore = ZScore(stats["mean"], stats["std"])
    if stats["kind"] in ("asinh",):
        return Compose([AsinhStretch(stats["softening"]), zscore])
    return zscore


def _train_val_indices(
    path: Path, split_seed: int, filter_blank: bool, split_scheme: str = "standard"
) -> tuple[np.ndarray, np.ndarray, int]:
    with CutoutFile(path) as cutouts:
        # The same split every protocol uses, so pretraining never sees a probe's test objects
        # when the probe uses the same split seed (checked by check_encoder_split); under the
        # disjoint scheme, no object that fine-tuning uses at all.
        splits = split_indices(cutouts, seed=split_seed, scheme=split_scheme, role="pretrain")
    train, val = splits["train"], splits["val"]
    removed = 0
    if filter_blank:
        keep = blank_fractions(path, train) <= BLANK_FRACTION_LIMIT
        removed = int((~keep).sum())
        train = train[keep]
    if val.size == 0:
        val = train[: min(train.size, 8)]
    return train, val, removed


def build_pretrain_data(
    path: str | os.PathLike[str],
    *,
    batch_size: int,
    crop_px: int | None = None,
    normalisation: str = "zscore",
    rotation_degrees: float = 0.0,
    filter_blank: bool = False,
    split_seed: int = 0,
    check_image_size: Callable[[int, int], None] | None = None,
    split_scheme: str = "standard",
) -> PretrainData:
    """Train and validation datasets of a cutout file for MAE pretraining.

    Args:
        path: the cutout file.
        batch_size: the training batch size (the training split must fill one batch).
        crop_px: centre-crop side in pixels; None keeps the full cutout.
        normalisation: "zscore" or "asinh" (asinh stretch then z-score), fitted on the train split.
        rotation_degrees: 0 rotates by multiples of 90 degrees; > 0 also by a uniform angle in
            [-rotation_degrees, rotation_degrees] (bilinear).
        filter_blank: leave out training cutouts whose blank area exceeds 10 %.
        split_seed: seed of the train/val/test split (the file's own `split` column wins); the
            test and val objects of this split are never pretrained on.
        check_image_size: called with (image side after the crop, number of bands) before any
            statistics are computed, so a model that cannot take the images fails fast.
        split_scheme: "standard" (pretrain on the shared train split) or "disjoint" (pretrain
            on an 80 % pool that fine-tuning never touches; data/splits.py).

    Raises:
        ConfigError: a crop larger than the cutouts.
        InsufficientDataError: fewer training cutouts than one batch.
    """
    file = Path(path)
    with CutoutFile(file) as cutouts:
        bands, (_, height, width) = list(cutouts.bands), cutouts.image_shape
    side = min(height, width) if crop_px is None else crop_px
    if crop_px is not None and (crop_px <= 0 or crop_px > min(height, width)):
        raise ConfigError(
            f"crop of {crop_px} px is larger than the {height}x{width} px cutouts in {file.name}",
            f"use --crop of at most {min(height, width)}",
        )
    if check_image_size is not None:
        check_image_size(side, len(bands))
    train_idx, val_idx, removed = _train_val_indices(file, split_seed, filter_blank, split_scheme)
    if train_idx.size < batch_size:
        raise InsufficientDataError(
            f"{file.name} has {train_idx.size} training cutouts, "
            f"fewer than one batch of {batch_size}",
            "use a smaller --batch-size or a larger data file",
        )
    crop = CenterCrop(side)
    stats = fit_normalisation(file, train_idx, normalisation, crop)
    norm = normalisation_transform(stats)
    augment: list[Transform] = [RandomRot90(), RandomFlip()]
    if rotation_degrees > 0:
        augment.append(RandomRotation(rotation_degrees))
    stats["bands"] = bands
    stats["crop_px"] = side
    return PretrainData(
        train=CutoutDataset(file, train_idx, transform=Compose([crop, norm, *augment])),
        val=CutoutDataset(file, val_idx, transform=Compose([crop, norm])),
        bands=bands,
        img_size=side,
        normalisation=stats,
        data_hash=content_sha256(file),
        n_blank_removed=removed,
        split_seed=split_seed,
        split_scheme=split_scheme,
    )
