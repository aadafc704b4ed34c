"""Classification metrics as pure functions: integer label arrays in, floats (or arrays) out.

Every score is derived from one confusion matrix. Classes are, unless `labels` is given, the
union of the classes present in `y_true` and `y_pred` (scikit-learn's convention); a class with
no predicted (or no true) objects has precision (or recall) 0, as in scikit-learn's default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} entries but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("cannot score an empty set of predictions")
    return y_true, y_pred


def _class_list(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None
) -> np.ndarray:
    if labels is not None:
        return np.asarray(labels, dtype=np.int64)
    return np.union1d(y_true, y_pred)


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> np.ndarray:
    """Counts [n_classes, n_classes]: row = true class, column = predicted class.

    Objects whose true or predicted class is not in `labels` are left out.
    """
    y_true, y_pred = _as_labels(y_true, y_pred)
    classes = _class_list(y_true, y_pred, labels)
    true_pos = _positions(y_true, classes)
    pred_pos = _positions(y_pred, classes)
    keep = (true_pos >= 0) & (pred_pos >= 0)
    n = len(classes)
    flat = np.bincount(true_pos[keep] * n + pred_pos[keep], minlength=n * n)
    return flat.reshape(n, n).astype(np.int64)


def _positions(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Index of each value in `classes`, or -1 where it is not there."""
    if len(classes) == 0:
        return np.full(values.shape, -1, dtype=np.int64)
    order = np.argsort(classes)
    found = np.searchsorted(classes[order], values).clip(0, len(classes) - 1)
    positions = order[found]
    return np.where(classes[positions] == values, positions, -1)


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _per_class(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, f1, support) per class, each [n_classes]."""
    # Counted over all objects, so an object of a class outside `labels` still counts against
    # the precision of the class it was predicted as.
    classes = _class_list(y_true, y_pred, labels)
    n = len(classes)
    true_pos, pred_pos = _positions(y_true, classes), _positions(y_pred, classes)
    support = np.bincount(true_pos[true_pos >= 0], minlength=n).astype(np.float64)
    predicted = np.bincount(pred_pos[pred_pos >= 0], minlength=n).astype(np.float64)
    hits = (true_pos == pred_pos) & (true_pos >= 0)
    true_positive = np.bincount(true_pos[hits], minlength=n).astype(np.float64)
    precision = _safe_ratio(true_positive, predicted)
    recall = _safe_ratio(true_positive, support)
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1, support


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of objects whose predicted class is the true class."""
    y_true, y_pred = _as_labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean over the classes present in `y_true` of the recall of that class."""
    y_true, y_pred = _as_labels(y_true, y_pred)
    _, recall, _, support = _per_class(y_true, y_pred, None)
    return float(recall[support > 0].mean())


def per_class_f1(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> np.ndarray:
    """F1 of every class in `labels` (default: classes present in either array), [n_classes]."""
    return _per_class(*_as_labels(y_true, y_pred), labels)[2]


def f1_macro(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> float:
    """Unweighted mean of the per-class F1 scores."""
    return float(per_class_f1(y_true, y_pred, labels).mean())


def f1_weighted(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> float:
    """Mean of the per-class F1 scores weighted by the number of true objects of each class."""
    _, _, f1, support = _per_class(*_as_labels(y_true, y_pred), labels)
    return float(np.sum(f1 * support) / support.sum()) if support.sum() > 0 else 0.0


def precision_macro(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> float:
    """Unweighted mean of the per-class precisions."""
    return float(_per_class(*_as_labels(y_true, y_pred), labels)[0].mean())


def recall_macro(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[int] | np.ndarray | None = None
) -> float:
    """Unweighted mean of the per-class recalls."""
    return float(_per_class(*_as_labels(y_true, y_pred), labels)[1].mean())


def log_loss(y_true: np.ndarray, probabilities: np.ndarray, eps: float = 1e-12) -> float:
    """Mean negative log-probability of the true class; rows are renormalised to sum to 1."""
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != y_true.size:
        raise ValueError(f"probabilities must be [{y_true.size}, n_classes], got {probs.shape}")
    probs = np.clip(probs, eps, None)
    probs = probs / probs.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(probs[np.arange(y_true.size), y_true])))
