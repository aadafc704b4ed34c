"""Property table estimators against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.property_table import Splits, few_shot_mlp, property_table, zero_shot_knn


def test_zero_shot_is_inverse_distance_weighted_mean_of_standardised_neighbours() -> None:
    rng = np.random.default_rng(0)
    x_train = rng.normal(size=(80, 3)) * np.array([1.0, 10.0, 100.0])  # scales differ
    y_train = rng.normal(size=80)
    x_test = rng.normal(size=(5, 3)) * np.array([1.0, 10.0, 100.0])
    got = zero_shot_knn(x_train, y_train, x_test, k=7)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    a, b = (x_train - mean) / std, (x_test - mean) / std
    for i in range(5):
        d = np.linalg.norm(a - b[i], axis=1)
        near = np.argsort(d)[:7]
        w = 1 / d[near]
        assert got[i] == pytest.approx((w * y_train[near]).sum() / w.sum())


def test_few_shot_learns_a_smooth_function_and_the_table_scores_it() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    pred = few_shot_mlp(x[:300], y[:300], x[300:350], y[300:350], x[350:])
    assert np.corrcoef(pred, y[350:])[0, 1] > 0.9
    y_nan = y.copy()
    y_nan[5] = np.nan
    split = Splits(np.arange(300), np.arange(300, 350), np.arange(350, 400))
    rows = property_table({"x": x, "noise": rng.normal(size=(400, 2))}, {"y": y_nan}, split)
    scores = {(r["source"], r["method"]): r["r2"] for r in rows}
    assert (
        len(rows) == 4 and scores[("x", "few-shot")] > 0.8 and scores[("noise", "zero-shot")] < 0.1
    )
