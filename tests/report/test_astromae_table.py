"""Table IV from a results folder: rows in the paper's order, metrics recomputed from the stored
predictions, the paper's numbers beside ours."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from astrobench.bench.store import ResultRow, ResultsStore
from astrobench.metrics.photoz import photoz_metrics
from astrobench.report.astromae_table import (
    density_panels,
    load_variant_results,
    recomputation_gaps,
    table_iv_markdown,
)

_BLANK = {"str": "", "float": 0.0, "int": 0, "bool": True}


def _row(**changes: Any) -> ResultRow:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(ResultRow):
        kind = str(field.type)
        values[field.name] = {} if kind.startswith("dict") else _BLANK.get(kind, "")
    values.update(changes)
    return ResultRow(**values)


def _store(tmp_path: Path) -> Path:
    store = ResultsStore(tmp_path)
    rng = np.random.default_rng(0)
    z = rng.uniform(0.02, 0.4, 50)
    for i, (protocol, noise) in enumerate(
        [
            ("hybrid-pcm-astromae", 0.01),
            ("hybrid-henghes", 0.02),
            ("finetune", 0.0),
            ("hybrid-inception", 0.05),
        ]
    ):
        z_pred = z + rng.normal(0, noise, z.size)
        path = f"predictions/r{i}.npz"
        (tmp_path / "predictions").mkdir(exist_ok=True)
        np.savez(tmp_path / path, y_true=z, y_pred=z_pred)
        stored = photoz_metrics(z, z_pred)
        if protocol == "hybrid-henghes":
            stored["mse"] += 0.5  # a stored value that does not match its predictions
        store.insert(_row(config_hash=f"h{i}", run_id=f"r{i}", protocol=protocol,
                          metrics=stored, predictions_path=path))  # fmt: skip
    return tmp_path


def test_rows_follow_table_iv_and_recompute_from_predictions(tmp_path: Path) -> None:
    results = load_variant_results(_store(tmp_path))
    assert [r.variant for r in results] == ["henghes", "inception", "pcm-astromae"]
    gaps = recomputation_gaps(results)
    assert gaps["pcm-astromae"] == pytest.approx(0.0) and gaps["henghes"] == pytest.approx(0.5)
    table = table_iv_markdown(results).splitlines()
    assert table[0].startswith("| type | architecture | mse | mae | bias | precision | r2 |")
    astromae = next(line for line in table if "Proposed pcm-AstroMAE" in line)
    ours = results[2].metrics
    assert f"{ours['mse']:.5f}" in astromae and astromae.endswith("| 0.00053 | 0.95601 |")
    assert next(p.label for p in density_panels(results)) == "Henghes et al. [34]"
