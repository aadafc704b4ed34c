"""Bootstrap intervals and spread over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.metrics import classification, regression
from astrobench.metrics.stats import bootstrap_interval, summarise_seeds


def test_bootstrap_interval_of_the_mean_matches_the_normal_approximation() -> None:
    rng = np.random.default_rng(0)
    y_true = np.zeros(2000)
    y_pred = rng.normal(0, 1, 2000)
    low, high = bootstrap_interval(regression.mean_residual, y_true, y_pred, n_boot=2000)
    half_width = 1.96 * y_pred.std() / np.sqrt(y_pred.size)
    assert low == pytest.approx(y_pred.mean() - half_width, abs=0.01)
    assert high == pytest.approx(y_pred.mean() + half_width, abs=0.01)


def test_bootstrap_interval_is_reproducible_and_contains_the_estimate() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, 0)
    first = bootstrap_interval(classification.accuracy, y_true, y_pred, n_boot=300, seed=5)
    again = bootstrap_interval(classification.accuracy, y_true, y_pred, n_boot=300, seed=5)
    assert first == again
    assert first[0] < classification.accuracy(y_true, y_pred) < first[1]
    narrower = bootstrap_interval(classification.accuracy, y_true, y_pred, 300, level=0.5, seed=5)
    assert first[0] < narrower[0] < narrower[1] < first[1]


def test_summarise_seeds() -> None:
    summary = summarise_seeds([0.5, 0.7, 0.6])
    assert summary.mean == pytest.approx(0.6)
    assert summary.std == pytest.approx(0.1)  # sample std of 0.5, 0.6, 0.7
    assert (summary.min, summary.max, summary.n) == (0.5, 0.7, 3)
    assert summary.mean_std(2) == "0.6 ± 0.1"
    assert summarise_seeds([0.3]).std == 0.0
