"""A task says what to predict from a cutout file and how to score it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_file import CutoutFile

TaskKind = Literal["classification", "regression", "photoz"]


@dataclass(frozen=True)
class TaskSpec:
    """Target column, kind, and the headline metric (higher_is_better says which way is good)."""

    target: str
    kind: TaskKind
    headline_metric: str
    higher_is_better: bool
    n_classes: int | None = None
    class_names: tuple[str, ...] | None = None

    @property
    def is_classification(self) -> bool:
        return self.kind == "classification"


def task_for_column(cutouts: CutoutFile, target: str) -> TaskSpec:
    """Infer the task of predicting `target`: label -> classification, redshift -> photo-z,
    any other integer column with few values -> classification, else regression."""
    values = cutouts.column(target)  # MissingColumnError names the available columns
    if target == fmt.REDSHIFT:
        return TaskSpec(target, "photoz", "sigma_nmad", higher_is_better=False)
    if target == fmt.LABEL or (values.dtype.kind in "iub" and np.unique(values).size <= 100):
        labelled = values[values != fmt.NO_LABEL]
        n_classes = int(labelled.max()) + 1 if labelled.size else 0
        names = cutouts.label_names if target == fmt.LABEL else None
        if names is not None:
            n_classes = max(n_classes, len(names))
        return TaskSpec(
            target,
            "classification",
            "accuracy",
            higher_is_better=True,
            n_classes=n_classes,
            class_names=tuple(names) if names else None,
        )
    return TaskSpec(target, "regression", "r2", higher_is_better=True)
