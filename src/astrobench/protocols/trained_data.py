"""Rows and pixels for the training protocols: the same cells as the frozen protocols, and
batched predictions over a cutout file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.protocols.frozen import inputs_from_arrays, select_cell
from astrobench.tasks.task import TaskSpec


@dataclass
class TrainedCell:
    """Object indices and targets of one (fraction, seed) cell."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    targets: np.ndarray  # [N] every object's target (file order)


def select_trained_cell(
    path: Path,
    task: TaskSpec,
    fraction: float,
    seed: int,
    n_per_class: int | None,
    settings: Mapping[str, Any],
) -> TrainedCell:
    """The train/val/test rows a frozen protocol would use for this cell (same split seed,
    same nested label fraction), so frozen and trained results share one test set."""
    split_seed = int(settings.get("split_seed", 0))
    with CutoutFile(path) as cutouts:
        targets = cutouts.column(task.target)
        # One split per file whatever the target (label-stratified when the file has labels):
        # morphology and photo-z share test objects, and pretraining never sees them.
        scheme = str(settings.get("split_scheme", "standard"))
        splits = split_indices(cutouts, seed=split_seed, scheme=scheme)
        n = len(cutouts)
    # Carry each object's index through the frozen selection as its one "feature".
    positions = np.arange(n, dtype=np.float32)[:, None]  # [N, 1], exact below 2**24
    inputs = inputs_from_arrays(positions, targets, task, splits, split_seed)
    cell = select_cell(inputs, fraction, seed, n_per_class, settings)
    as_index = lambda x: x[:, 0].astype(np.int64)  # noqa: E731
    return TrainedCell(
        as_index(cell.x_train), as_index(cell.x_val), cell.test_indices, inputs.targets
    )


@torch.inference_mode()
def predict_outputs(
    model: nn.Module, path: Path, indices: np.ndarray, batch_size: int, device: torch.device
) -> np.ndarray:
    """Model outputs [n, K] for objects `indices` (in that order), in eval mode."""
    was_training = model.training
    model.eval()
    outputs = []
    with CutoutFile(path) as cutouts:
        for start in range(0, len(indices), batch_size):
            images = cutouts.read_images(indices[start : start + batch_size])  # [b, C, H, W]
            batch = torch.from_numpy(images).to(device)
            outputs.append(model(batch).float().cpu())  # [b, K]
    model.train(was_training)
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, 1), dtype=np.float32)
