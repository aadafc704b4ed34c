"""Galaxy properties from embeddings, as seed 003 Table 2: zero-shot kNN and few-shot MLP R².

    zero-shot  k-nearest-neighbour regression, k = 64, weights 1 / distance, Euclidean on
               embeddings standardised with the training split's mean and std
    few-shot   one hidden layer of 32 units (ReLU, Adam), early-stopped on the validation split

Both fit on the training split and are scored on the test split; each target is standardised
with the training split's statistics before the MLP. Sources are any feature matrices over the
same objects: image / spectrum / joint embeddings, or catalog photometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from astrobench.metrics.regression import r2

ZERO_SHOT_K = 64
FEW_SHOT_HIDDEN = 32


@dataclass
class Splits:
    """Object indices (rows of every feature matrix) of the three splits."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Features scaled by the training rows' mean and std (std 0 -> 1)."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(x - mean) / std for x in (train, *others)]


def zero_shot_knn(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, k: int = ZERO_SHOT_K
) -> np.ndarray:
    """Distance-weighted kNN predictions [n_test] on standardised features."""
    from sklearn.neighbors import KNeighborsRegressor

    a, b = standardise(np.asarray(x_train, np.float64), np.asarray(x_test, np.float64))
    model = KNeighborsRegressor(n_neighbors=min(k, len(a)), weights="distance")
    return model.fit(a, y_train).predict(b)


def few_shot_mlp(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray,
    seed: int = 0,
) -> np.ndarray:
    """One-hidden-layer (32) MLP predictions [n_test], early-stopped on the validation rows."""
    from sklearn.neural_network import MLPRegressor

    a, v, b = standardise(
        np.asarray(x_train, np.float64),
        np.asarray(x_val, np.float64),
        np.asarray(x_test, np.float64),
    )
    mean, std = float(np.mean(y_train)), float(np.std(y_train)) or 1.0
    best, best_score, model = (
        None,
        -np.inf,
        MLPRegressor(
            hidden_layer_sizes=(FEW_SHOT_HIDDEN,), random_state=seed, learning_rate_init=1e-3
        ),
    )
    for _ in range(200):  # epochs; keep the weights that do best on validation
        model.partial_fit(a, (y_train - mean) / std)
        score = -float(np.mean((model.predict(v) * std + mean - y_val) ** 2))
        if score > best_score:
            best_score, best = score, model.predict(b) * std + mean
    assert best is not None
    return best


def _zero_shot(x: np.ndarray, y: np.ndarray, split: Splits) -> np.ndarray:
    return zero_shot_knn(x[split.train], y[split.train], x[split.test])


def _few_shot(x: np.ndarray, y: np.ndarray, split: Splits) -> np.ndarray:
    t, v = split.train, split.val
    return few_shot_mlp(x[t], y[t], x[v], y[v], x[split.test])


METHODS = {"zero-shot": _zero_shot, "few-shot": _few_shot}


def property_table(
    sources: Mapping[str, np.ndarray],
    targets: Mapping[str, np.ndarray],
    splits: Splits,
    methods: Sequence[str] = ("zero-shot", "few-shot"),
) -> list[dict[str, object]]:
    """Rows {source, method, target, r2} for every source x method x target (finite targets)."""
    rows: list[dict[str, object]] = []
    for name, features in sources.items():
        for target, values in targets.items():
            finite = Splits(*(idx[np.isfinite(values[idx])] for idx in vars(splits).values()))
            for method in methods:
                predicted = METHODS[method](features, values, finite)
                score = r2(values[finite.test], predicted)
                rows.append({"source": name, "method": method, "target": target, "r2": score})
    return rows
