"""Detection cells in a suite: rows with COCO metrics and cost, image-level bootstrap, ragged
predictions that re-score to the stored metrics, and the report's detection figures."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from astrobench.bench.runner import bench
from astrobench.report.build import report
from astrobench.tasks.base import task_from_description
from astrobench.tasks.predictions import Predictions

SUITE = {
    "name": "tiny_detection",
    "datasets": {
        "fields": {
            "synth": {"preset": "fields-desi-ls", "n": 12, "seed": 5, "size": 48},
            "targets": ["boxes"],
        },
    },
    "backbones": ["timm:test_resnet?pretrained=false"],
    "protocols": [
        {
            "name": "detect",
            "label": "frozen",
            "settings": {"mode": "frozen", "epochs": 1, "batch_size": 4, "score_threshold": 0.0},
        },
    ],
    "fractions": [1.0],
    "seeds": [0],
    "n_boot": 5,
    "torch_threads": 1,
}


@pytest.mark.slow
def test_detection_suite_rows_predictions_and_report(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(SUITE))
    out = tmp_path / "out"
    summary = bench(path, out, progress=False)
    assert summary.ok and summary.n_run == 1, summary.failures
    (row,) = sqlite3.connect(out / "results.sqlite").execute(
        "SELECT task_kind, metrics, intervals, predictions_path, params_trainable, params_total, "
        "train_seconds, config FROM results"
    )
    kind, metrics, intervals, relpath, trainable, total, train_seconds, config = row
    assert kind == "detection" and 0 < trainable < total and train_seconds > 0
    metrics = json.loads(metrics)
    assert {"AP50", "AP", "AP75", "AR@100", "AP@0.1", "AP@0.9"} <= set(metrics)
    assert set(json.loads(intervals)) == {"AP50", "AP"}
    predictions = Predictions.load(out / relpath)
    assert {"boxes", "labels", "scores", "true_boxes", "true_labels"} <= set(predictions.ragged)
    task = task_from_description(json.loads(config)["task_spec"])
    assert task.bootstrap_unit == "image"
    assert task.score(predictions) == pytest.approx(metrics, nan_ok=True)
    files = report(out)
    text = (out / "report.md").read_text()
    assert "AP vs IoU threshold" in text and "test fields, true boxes" in text
    assert any("iou_curves" in p.name for p in files.figures)
