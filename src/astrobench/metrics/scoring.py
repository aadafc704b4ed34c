"""The one entry point every protocol uses to score its test predictions."""

from __future__ import annotations

import numpy as np

from astrobench.metrics import classification, photoz, regression
from astrobench.tasks.task import TaskSpec


def score_task(
    task: TaskSpec,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray | None = None,
) -> dict[str, float]:
    """All metrics of `task.kind` for these predictions.

    classification: accuracy, balanced_accuracy, f1_macro, f1_weighted, precision_macro,
    recall_macro, f1/<class> for every class, and log_loss when `probabilities` are given.
    photoz: bias, sigma_nmad, sigma68, outlier_fraction_0.05 and outlier_fraction_0.15 (|Δz| >
    0.05, 0.15), precision, mse, mae, r2.
    regression: r2, mse, rmse, mae, bias (mean residual).
    """
    if task.kind == "classification":
        return _classification_scores(task, y_true, y_pred, probabilities)
    if task.kind == "photoz":
        return photoz.photoz_metrics(y_true, y_pred)
    if task.kind == "regression":
        return {
            "r2": regression.r2(y_true, y_pred),
            "mse": regression.mse(y_true, y_pred),
            "rmse": regression.rmse(y_true, y_pred),
            "mae": regression.mae(y_true, y_pred),
            "bias": regression.mean_residual(y_true, y_pred),
        }
    raise ValueError(f"unknown task kind {task.kind!r}")


def _classification_scores(
    task: TaskSpec, y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray | None
) -> dict[str, float]:
    present = np.union1d(np.asarray(y_true), np.asarray(y_pred)).astype(np.int64)
    scores = {
        "accuracy": classification.accuracy(y_true, y_pred),
        "balanced_accuracy": classification.balanced_accuracy(y_true, y_pred),
        "f1_macro": classification.f1_macro(y_true, y_pred),
        "f1_weighted": classification.f1_weighted(y_true, y_pred),
        "precision_macro": classification.precision_macro(y_true, y_pred),
        "recall_macro": classification.recall_macro(y_true, y_pred),
    }
    per_class = classification.per_class_f1(y_true, y_pred, present)
    names = task.class_names or ()
    for label, f1 in zip(present, per_class, strict=True):
        name = names[label] if 0 <= label < len(names) else str(int(label))
        scores[f"f1/{name}"] = float(f1)
    if probabilities is not None:
        scores["log_loss"] = classification.log_loss(y_true, probabilities)
    return scores
