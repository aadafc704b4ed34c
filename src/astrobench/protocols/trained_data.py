"""Rows and pixels for the training protocols: the same cells as the frozen protocols, and
batched predictions over a cutout file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.protocols.cell_selection import labelled_splits, select_rows
from astrobench.protocols.settings import ProtocolSettings
from astrobench.tasks.base import Task


@dataclass
class TrainedCell:
    """Object indices and targets of one (fraction, seed) cell."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    targets: np.ndarray  # every object's target (file order), [N] or [N, T]


def select_trained_cell(
    path: Path,
    task: Task,
    fraction: float,
    seed: int,
    n_per_class: int | None,
    settings: ProtocolSettings | Mapping[str, Any],
) -> TrainedCell:
    """The train/val/test rows a frozen protocol would use for this cell (same split seed,
    same nested label fraction), so frozen and trained results share one test set."""
    if not isinstance(settings, ProtocolSettings):
        settings = ProtocolSettings.model_validate(dict(settings))
    with CutoutFile(path) as cutouts:
        targets = task.read_targets(cutouts)
        # One split per file whatever the target (label-stratified when the file has labels):
        # morphology and photo-z share test objects, and pretraining never sees them.
        splits = labelled_splits(
            split_indices(cutouts, seed=settings.split_seed, scheme=settings.split_scheme),
            targets,
            task,
        )
    strata = task.strata(targets)
    rows = select_rows(splits, targets, strata, task, fraction, seed, n_per_class, settings)
    return TrainedCell(rows.train, rows.val, rows.test, targets)


@torch.inference_mode()
def predict_outputs(
    model: nn.Module,
    path: Path,
    indices: np.ndarray,
    batch_size: int,
    device: torch.device,
    read: Callable[[CutoutFile, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Model outputs [n, K] for objects `indices` (in that order), in eval mode; `read` gives
    a block's model inputs (default: the images)."""
    was_training = model.training
    model.eval()
    outputs = []
    with CutoutFile(path) as cutouts:
        for start in range(0, len(indices), batch_size):
            block = indices[start : start + batch_size]
            inputs = read(cutouts, block) if read else cutouts.read_images(block)  # [b, ...]
            batch = torch.from_numpy(inputs).to(device)
            outputs.append(model(batch).float().cpu())  # [b, K]
    model.train(was_training)
    return torch.cat(outputs).numpy() if outputs else np.zeros((0, 1), dtype=np.float32)
