"""Regression metrics as pure functions: arrays of true and predicted values in, floats out."""

from __future__ import annotations

import numpy as np


def as_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as flat float64, checked to have the same, non-zero length."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} entries but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("cannot score an empty set of predictions")
    return y_true, y_pred


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error, mean((ŷ - y)²)."""
    y_true, y_pred = as_pair(y_true, y_pred)
    return float(np.mean((y_pred - y_true) ** 2))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(mse(y_true, y_pred)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error, mean(|ŷ - y|)."""
    y_true, y_pred = as_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_pred - y_true)))


def mean_residual(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of ŷ - y (positive: predictions too high on average)."""
    y_true, y_pred = as_pair(y_true, y_pred)
    return float(np.mean(y_pred - y_true))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination, 1 - Σ(y - ŷ)² / Σ(y - ȳ)².

    A constant `y_true` gives 1.0 for a perfect prediction and 0.0 otherwise (scikit-learn's
    convention), so the value is always finite.
    """
    y_true, y_pred = as_pair(y_true, y_pred)
    residual = float(np.sum((y_true - y_pred) ** 2))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total
