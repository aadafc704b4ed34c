"""Regression metrics against scikit-learn and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from astrobench.metrics import regression


def test_hand_computed_case() -> None:
    y_true = np.array([1.0, 2.0, 3.0])
    y_pred = np.array([2.0, 2.0, 2.0])
    assert regression.mse(y_true, y_pred) == pytest.approx(2 / 3)
    assert regression.mae(y_true, y_pred) == pytest.approx(2 / 3)
    assert regression.r2(y_true, y_pred) == pytest.approx(0.0)  # predicting the mean
    assert regression.mean_residual(y_true, y_pred) == pytest.approx(0.0)
    assert regression.rmse(y_true, y_pred) == pytest.approx(np.sqrt(2 / 3))


def test_matches_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    y_true = rng.normal(size=100)
    y_pred = y_true * 0.8 + rng.normal(0, 0.3, 100)
    assert regression.r2(y_true, y_pred) == pytest.approx(sk.r2_score(y_true, y_pred))
    assert regression.mse(y_true, y_pred) == pytest.approx(sk.mean_squared_error(y_true, y_pred))
    assert regression.mae(y_true, y_pred) == pytest.approx(sk.mean_absolute_error(y_true, y_pred))


def test_r2_of_constant_truth_is_finite() -> None:
    assert regression.r2(np.ones(3), np.ones(3)) == 1.0
    assert regression.r2(np.ones(3), np.zeros(3)) == 0.0


def test_empty_input_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^cannot score an empty set of predictions$"):
        regression.mse(np.array([]), np.array([]))


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="y_true has 3 entries but y_pred has 2"):
        regression.mae(np.zeros(3), np.zeros(2))


def test_float32_inputs_are_scored_in_float64() -> None:
    """Values near 1e4 with small residuals: float32 arithmetic would lose the residuals."""
    rng = np.random.default_rng(3)
    truth = (1e4 + rng.normal(0, 1e-2, 200)).astype(np.float32)
    predicted = (truth.astype(np.float64) + rng.normal(0, 1e-3, 200)).astype(np.float32)
    t64, p64 = truth.astype(np.float64), predicted.astype(np.float64)
    for name in ("mse", "mae", "mean_residual", "r2"):
        metric = getattr(regression, name)
        expected = metric(t64, p64)
        for args in ((truth, predicted), (truth, p64), (t64, predicted)):
            assert metric(*args) == pytest.approx(expected, rel=1e-12, abs=1e-15), name
