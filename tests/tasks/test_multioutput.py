"""The multi-output task: several columns at once, added as one file in tasks/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError
from astrobench.tasks.base import task_from_description
from astrobench.tasks.multioutput import MultiOutputTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.regression import RegressionTask
from astrobench.tasks.resolve import resolve_task


def test_several_columns_resolve_to_multioutput(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        task = resolve_task(cutouts, "redshift,mag_g")
        targets = task.read_targets(cutouts)
        with pytest.raises(ConfigError, match="two or more different columns"):
            resolve_task(cutouts, "redshift,redshift", "multioutput")
    assert task.kind == "multioutput" and targets.shape == (60, 2)
    assert task_from_description(task.describe()) == task


def test_multioutput_metrics_are_the_single_column_metrics_per_column() -> None:
    rng = np.random.default_rng(1)
    truth = np.stack([rng.uniform(0.01, 0.4, 50), rng.normal(10, 1, 50)], axis=1)
    pred = truth + rng.normal(0, [0.01, 0.3], (50, 2))
    task = MultiOutputTask(("redshift", "log_mstar"))
    scores = task.score(Predictions(truth, pred))
    photoz = PhotozTask(("redshift",)).score(Predictions(truth[:, 0], pred[:, 0]))
    mass = RegressionTask(("log_mstar",)).score(Predictions(truth[:, 1], pred[:, 1]))
    for name, value in photoz.items():
        assert scores[f"redshift/{name}"] == pytest.approx(value)
    for name, value in mass.items():
        assert scores[f"log_mstar/{name}"] == pytest.approx(value)
    assert scores["r2"] == pytest.approx((photoz["r2"] + mass["r2"]) / 2)


def test_value_selection_weighs_columns_by_their_spread() -> None:
    """An error of one σ in either column costs the same: units do not decide selection."""
    task = MultiOutputTask(("a", "b"))
    truth = np.stack([np.linspace(0, 1, 20), np.linspace(0, 1000, 20)], axis=1)
    off_a = truth + np.array([truth[:, 0].std(), 0])
    off_b = truth + np.array([0, truth[:, 1].std()])
    grid = np.stack([off_a, off_b])  # [G, n, T]
    score_a, score_b = task.selection_score(truth, grid)
    assert score_a == pytest.approx(score_b)
