"""configs/cross_survey.yaml end to end: a DESI-LS-pretrained encoder on SDSS g, r, z (slow)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from astrobench.bench.runner import bench
from astrobench.bench.suite import expand_grid, load_suite
from astrobench.metrics import photoz

SUITE = Path(__file__).resolve().parents[2] / "configs" / "cross_survey.yaml"


@pytest.mark.slow
def test_cross_survey_suite_runs_every_cell(tmp_path: Path) -> None:
    expected = expand_grid(load_suite(SUITE))
    # 2 datasets x (3 backbones x knn, linear + finetune + scratch on one backbone each)
    assert len(expected) == 16
    summary = bench(SUITE, tmp_path, progress=False)
    assert summary.ok and summary.n_run == len(expected), summary.failures
    rows = sqlite3.connect(tmp_path / "results.sqlite").execute(
        "SELECT task, predictions_path, metrics FROM results"
    )
    for task, predictions_path, metrics in rows:
        stored = json.loads(metrics)
        if task != "redshift":
            continue
        with np.load(tmp_path / predictions_path) as predictions:
            recomputed = photoz.photoz_metrics(predictions["y_true"], predictions["y_pred"])
        for name in ("sigma_nmad", "outlier_fraction_0.05", "outlier_fraction_0.15"):
            assert stored[name] == pytest.approx(recomputed[name])
    # 3 backbones (MAE, its random-init copy, photometry) on sdss; desi is only pretrained on
    assert len(list((tmp_path / "maps").glob("sdss__*.npz"))) == 3
    assert not list((tmp_path / "maps").glob("desi__*.npz"))
