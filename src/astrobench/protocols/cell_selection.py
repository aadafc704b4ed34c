"""Which objects one cell trains, validates and tests on — for frozen and trained protocols alike.

The train/val/test split is fixed per file (`split_seed`); a cell's run seed draws its nested,
stratified label-fraction subset (or n-per-class few-shot subset) of the train split. Objects
without a usable target are dropped from every split. Frozen and trained protocols both call
`select_rows`, so they share one test set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from astrobench.data.splits import few_shot_subset, label_fraction_subset
from astrobench.errors import ConfigError, InsufficientDataError
from astrobench.protocols.settings import ProtocolSettings
from astrobench.tasks.base import ClassOutput, Task


@dataclass(frozen=True)
class CellRows:
    """Object indices (file order) of one cell's train subset and of the whole val/test splits."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_positions: np.ndarray  # where the train subset sits within the whole train split


def labelled_splits(
    splits: Mapping[str, np.ndarray], targets: np.ndarray, task: Task
) -> dict[str, np.ndarray]:
    """Each split without its unlabelled objects (sorted); an empty split is an error, and so is
    a task whose output no head on pooled features produces (detection's boxes)."""
    if not task.pooled_heads:
        raise ConfigError(
            f"{task.kind} tasks are not served by heads on pooled features",
            "use the protocol made for them (detection: protocol detect)",
        )
    labelled = task.labelled_mask(targets)
    clean = {name: np.sort(np.asarray(rows)[labelled[rows]]) for name, rows in splits.items()}
    for name in ("train", "val", "test"):
        if len(clean.get(name, ())) == 0:
            raise InsufficientDataError(
                f"the {name} split has no labelled objects for target {task.target!r}",
                "use a file with more labelled objects",
            )
    return clean


def select_rows(
    splits: Mapping[str, np.ndarray],
    targets: np.ndarray,
    strata: np.ndarray,
    task: Task,
    fraction: float,
    seed: int,
    n_per_class: int | None,
    settings: ProtocolSettings,
) -> CellRows:
    """The rows of one (fraction or n-per-class, seed) cell, checked to be enough to fit."""
    whole_train = splits["train"]
    train = whole_train
    if n_per_class is not None:
        if not isinstance(task.output, ClassOutput):
            raise ConfigError("n-per-class few-shot needs a classification target")
        train = few_shot_subset(train, targets[train], n_per_class, seed)
    elif fraction < 1.0:
        train = label_fraction_subset(train, strata[train], fraction, seed)
    where = (
        f"{n_per_class} per class" if n_per_class is not None else f"label fraction {fraction:g}"
    )
    check_enough(task, targets, splits, train, where, settings)
    positions = np.searchsorted(whole_train, train)
    return CellRows(train, splits["val"], splits["test"], positions)


def check_enough(
    task: Task,
    targets: np.ndarray,
    splits: Mapping[str, np.ndarray],
    train: np.ndarray,
    where: str,
    settings: ProtocolSettings,
) -> None:
    """Enough training objects overall (values) or in every present class (classes)."""
    hint = "use a larger label fraction or a file with more labelled objects"
    output = task.output
    if not isinstance(output, ClassOutput):
        if len(train) < settings.min_train:
            raise InsufficientDataError(
                f"only {len(train)} labelled training objects at {where} "
                f"(need at least {settings.min_train})",
                hint,
            )
        return
    counts = np.bincount(targets[train], minlength=output.n_classes)
    present = np.unique(targets[np.concatenate(list(splits.values()))])
    short = [int(c) for c in present if counts[c] < settings.min_per_class]
    if short:
        names = output.class_names or ()
        label = names[short[0]] if short[0] < len(names) else str(short[0])
        raise InsufficientDataError(
            f"class {label!r} has {counts[short[0]]} labelled training objects at {where} "
            f"(need at least {settings.min_per_class})",
            hint,
        )
