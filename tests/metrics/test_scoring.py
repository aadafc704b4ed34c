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
    right = 0.8 + 0.2 / 3  # probability given to the true class when the prediction is right
    wrong = 0.2 / 3
    assert scores["log_loss"] == pytest.approx(-(3 * np.log(right) + np.log(wrong)) / 4)


def test_photoz_and_regression_sets() -> None:
    z = np.array([0.1, 0.2, 0.3, 0.4])
    photoz_scores = score_task(TaskSpec("redshift", "photoz", "sigma_nmad", False), z, z + 0.01)
    assert {"bias", "sigma_nmad", "sigma68", "outlier_fraction", "precision", "r2"} <= set(
        photoz_scores
    )
    regression_scores = score_task(TaskSpec("mass", "regression", "r2", True), z, z)
    assert regression_scores["r2"] == 1.0
    assert regression_scores["mse"] == 0.0


def test_photoz_scores_have_the_right_values() -> None:
    """Values, not only names: each score equals the metric computed independently."""
    z = np.array([0.0, 0.5, 1.0, 0.2])
    z_hat = np.array([0.15, 0.4, 1.5, 0.2])
    dz = (z_hat - z) / (1 + z)  # 0.15, -0.0667, 0.25, 0
    scores = score_task(TaskSpec("redshift", "photoz", "sigma_nmad", False), z, z_hat)
    assert scores["bias"] == pytest.approx(dz.mean())
    assert scores["outlier_fraction"] == pytest.approx(0.25)  # 0.15 exactly is not an outlier
    assert scores["sigma_nmad"] == pytest.approx(1.4826 * np.median(np.abs(dz - np.median(dz))))
    assert scores["precision"] == pytest.approx(1.48 * np.median(np.abs(dz)))
    assert scores["mse"] == pytest.approx(np.mean((z_hat - z) ** 2))
    assert scores["mae"] == pytest.approx(np.mean(np.abs(z_hat - z)))


def test_regression_scores_have_the_right_values() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    y_hat = np.array([1.5, 2.0, 2.0, 5.0])
    scores = score_task(TaskSpec("mass", "regression", "r2", True), y, y_hat)
    # residuals 0.5, 0, -1, 1: SSE 2.25, SST 5
    assert scores == pytest.approx(
        {
            "r2": 1 - 2.25 / 5,
            "mse": 2.25 / 4,
            "rmse": (2.25 / 4) ** 0.5,
            "mae": 2.5 / 4,
            "bias": 0.5 / 4,
        }
    )


def test_classification_scores_values_and_unnamed_classes() -> None:
    task = TaskSpec("label", "classification", "accuracy", True, 2, ("a", "b"))
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2])
    scores = score_task(task, y_true, y_pred)
    assert scores["accuracy"] == pytest.approx(0.8)
    assert scores["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert scores["f1/a"] == pytest.approx(2 / 3) and scores["f1/b"] == pytest.approx(0.8)
    assert scores["f1/2"] == pytest.approx(1.0)  # a class without a name is named by its number
    assert scores["precision_macro"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert scores["recall_macro"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert scores["f1_macro"] == pytest.approx((2 / 3 + 0.8 + 1) / 3)
    assert scores["f1_weighted"] == pytest.approx((2 * 2 / 3 + 2 * 0.8 + 1) / 5)
    assert "log_loss" not in scores


def test_unknown_task_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task kind 'votes'"):
        score_task(TaskSpec("v", "votes", "mse", False), np.zeros(2), np.zeros(2))
