"""Result rows made by hand, for store and aggregation tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from astrobench.bench.store import ResultRow


def _row(**changes: Any) -> ResultRow:
    values: dict[str, Any] = {
        "config_hash": "h0",
        "run_id": "h0",
        "suite": "s",
        "dataset": "d",
        "task": "label",
        "task_kind": "classification",
        "backbone": "b",
        "protocol": "linear",
        "fraction": 1.0,
        "seed": 0,
        "headline_metric": "accuracy",
        "higher_is_better": True,
        "metrics": {"accuracy": 0.5},
        "intervals": {"accuracy": [0.4, 0.6]},
        "params_total": 10,
        "params_trainable": 2,
        "train_seconds": 1.0,
        "eval_seconds": 0.5,
        "throughput_per_second": 100.0,
        "peak_ram_bytes": 1,
        "peak_gpu_bytes": 0,
        "energy_kwh": 1e-5,
        "co2_kg": 5e-6,
        "energy_method": "estimated",
        "device": "cpu",
        "library_versions": {"torch": "x"},
        "git_sha": "abc",
        "config": {"k": "v"},
        "predictions_path": "predictions/h0.npz",
        "n_train": 10,
        "n_test": 5,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "extra": {"wall_seconds": 2.0},
    }
    values.update(changes)
    return ResultRow(**values)


@pytest.fixture
def make_row() -> Callable[..., ResultRow]:
    """A function building a ResultRow; keyword arguments override fields."""
    return _row
