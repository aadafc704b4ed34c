"""score_task picks the metric set by task kind."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.metrics.scoring import score_task
from astrobench.tasks.task import TaskSpec


def test_classification_scores_name_classes() -> None:
    task = TaskSpec(
        "label", "classification", "accuracy", True, 3, ("spiral", "elliptical", "merger")
    )
    y_true = np.array([0, 0, 1, 2])
    y_pred = np.array([0, 1, 1, 2])
    probs = np.eye(3)[y_pred] * 0.8 + 0.2 / 3
    scores = score_task(task, y_true, y_pred, probs)
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["f1/spiral"] == pytest.approx(2 / 3)
    assert scores["f1/merger"] == pytest.approx(1.0)
    assert {"balanced_accuracy", "f1_macro", "f1_weighted", "log_loss"} <= set(scores)


def test_photoz_and_regression_sets() -> None:
    z = np.array([0.1, 0.2, 0.3, 0.4])
    photoz_scores = score_task(TaskSpec("redshift", "photoz", "sigma_nmad", False), z, z + 0.01)
    assert {"bias", "sigma_nmad", "sigma68", "outlier_fraction_0.15", "precision", "r2"} <= set(
        photoz_scores
    )
    regression_scores = score_task(TaskSpec("mass", "regression", "r2", True), z, z)
    assert regression_scores["r2"] == 1.0
    assert regression_scores["mse"] == 0.0
