"""Rows, samples and predictions of the hybrid protocol: images plus (optionally) catalog
magnitudes, read once per cell and checked (data/magnitudes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset
from astrobench.data.magnitudes import (
    ImageMagnitudeDataset,
    magnitude_columns,
    magnitude_stats,
    read_magnitudes,
)


@dataclass(frozen=True)
class MagnitudeInputs:
    """The magnitude columns a hybrid model takes and their training-split statistics."""

    columns: list[str]
    mean: list[float]
    std: list[float]


def magnitude_inputs(
    path: Path, spec: str | Sequence[str] | None, train: np.ndarray
) -> MagnitudeInputs | None:
    """Resolve and check the magnitude columns (None: the model takes none)."""
    if not spec:
        return None
    with CutoutFile(path) as cutouts:
        columns = magnitude_columns(spec, cutouts)
        values = read_magnitudes(cutouts, columns, train)  # [n_train, M], checked
    mean, std = magnitude_stats(values)
    return MagnitudeInputs(columns, mean, std)


def training_dataset(
    path: Path,
    indices: np.ndarray,
    magnitudes: MagnitudeInputs | None,
    transform: Any,
    target: str,
) -> Dataset[dict[str, Any]]:
    """Samples {"image", "index", target[, "magnitudes"]} of the training rows."""
    if magnitudes is None:
        return CutoutDataset(path, indices, transform=transform, targets=[target])
    return ImageMagnitudeDataset(
        path, indices, magnitudes.columns, transform=transform, targets=[target]
    )


@torch.inference_mode()
def predict_hybrid(
    model: nn.Module,
    path: Path,
    indices: np.ndarray,
    magnitudes: MagnitudeInputs | None,
    batch_size: int,
    device: torch.device,
) -> np.ndarray:
    """Model outputs [n, K] for objects `indices` (in that order), in eval mode."""
    was_training = model.training
    model.eval()
    outputs = []
    with CutoutFile(path) as cutouts:
        mags = (
            read_magnitudes(cutouts, magnitudes.columns, indices) if magnitudes else None
        )  # [n, M]
        for start in range(0, len(indices), batch_size):
            stop = start + batch_size
            images = torch.from_numpy(cutouts.read_images(indices[start:stop])).to(device)
            batch_mags = None if mags is None else torch.from_numpy(mags[start:stop]).to(device)
            outputs.append(model(images, batch_mags).float().cpu())  # [b, K]
    model.train(was_training)
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, 1), dtype=np.float32)
