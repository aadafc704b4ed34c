"""Bootstrap intervals of a posterior row: samples are resampled only for posterior metrics."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from astrobench.bench.cell import bootstrap_intervals
from astrobench.tasks import regression
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.regression import RegressionTask


def _result(task: RegressionTask) -> Any:
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    samples = y[:, None, None] + rng.normal(size=(200, 40, 1))
    predictions = Predictions(y, np.median(samples, axis=1)[:, 0], samples=samples)
    return SimpleNamespace(metrics=task.score(predictions), predictions=predictions)


def test_point_metric_intervals_leave_the_samples_out(monkeypatch: pytest.MonkeyPatch) -> None:
    task = RegressionTask(("z",))
    result = _result(task)
    seen: list[bool] = []
    original = regression.posterior_scores

    def spy(columns: tuple[str, ...], predictions: Predictions) -> dict[str, float]:
        seen.append(predictions.samples is not None)
        return original(columns, predictions)

    monkeypatch.setattr(regression, "posterior_scores", spy)
    intervals = bootstrap_intervals(task, result, 20, seed=0)
    assert set(intervals) == {"r2", "rmse"} and not any(seen)
    crps_task = RegressionTask(("z",), headline="crps")
    intervals = bootstrap_intervals(crps_task, _result(crps_task), 20, seed=0)
    low, high = intervals["crps"]
    assert all(seen[-20:]) and low < result.metrics["crps"] < high
