"""Every score a task reports is checked by value against an independent computation (a test
that only checked key names would pass on a scorer returning zeros)."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.regression import RegressionTask


def test_photoz_scores_have_the_right_values() -> None:
    z = np.array([0.0, 0.5, 1.0, 0.2])
    z_hat = np.array([0.15, 0.4, 1.5, 0.2])
    dz = (z_hat - z) / (1 + z)  # 0.15, -0.0667, 0.25, 0
    scores = PhotozTask(("redshift",)).score(Predictions(z, z_hat))
    assert scores["bias"] == pytest.approx(dz.mean())
    assert scores["outlier_fraction_0.15"] == pytest.approx(0.25)  # 0.15 exactly is not one
    assert scores["outlier_fraction_0.05"] == pytest.approx(0.75)
    assert scores["sigma_nmad"] == pytest.approx(1.4826 * np.median(np.abs(dz - np.median(dz))))
    assert scores["precision"] == pytest.approx(1.48 * np.median(np.abs(dz)))
    assert scores["mse"] == pytest.approx(np.mean((z_hat - z) ** 2))
    assert scores["mae"] == pytest.approx(np.mean(np.abs(z_hat - z)))
    low, high = np.percentile(dz, [15.865, 84.135])
    assert scores["sigma68"] == pytest.approx((high - low) / 2)


def test_regression_scores_have_the_right_values() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    y_hat = np.array([1.5, 2.0, 2.0, 5.0])
    scores = RegressionTask(("mass",)).score(Predictions(y, y_hat))
    # residuals 0.5, 0, -1, 1: SSE 2.25, SST 5
    expected = {"r2": 1 - 2.25 / 5, "mse": 2.25 / 4, "rmse": (2.25 / 4) ** 0.5, "mae": 2.5 / 4,
                "bias": 0.5 / 4}  # fmt: skip
    assert scores == pytest.approx(expected)


def test_classification_scores_values_and_unnamed_classes() -> None:
    task = ClassificationTask(("label",), n_classes=3, class_names=("a", "b"))
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2])
    scores = task.score(Predictions(y_true, y_pred))
    assert scores["accuracy"] == pytest.approx(0.8)
    assert scores["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert scores["f1/a"] == pytest.approx(2 / 3) and scores["f1/b"] == pytest.approx(0.8)
    assert scores["precision_macro"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert scores["recall_macro"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert scores["f1_macro"] == pytest.approx((2 / 3 + 0.8 + 1) / 3)
    assert scores["f1_weighted"] == pytest.approx((2 * 2 / 3 + 2 * 0.8 + 1) / 5)
    assert scores["f1/2"] == pytest.approx(1.0)  # a class without a name is named by its number
    assert "log_loss" not in scores
