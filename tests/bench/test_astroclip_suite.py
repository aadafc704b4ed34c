"""configs/astroclip.yaml end to end at toy scale: MAE and SpecFormer towers, CLIP on top of them
(chained steps), properties from every embedding (slow)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from astrobench.bench.runner import bench

SUITE = Path(__file__).resolve().parents[2] / "configs" / "astroclip.yaml"


@pytest.mark.slow
def test_astroclip_suite_runs_every_cell(tmp_path: Path) -> None:
    raw = yaml.safe_load(SUITE.read_text())
    raw["datasets"]["desi"]["synth"]["n"] = 120
    for step in raw["pretrain"]:
        step["settings"].update(epochs=1, batch_size=16)
    raw["n_boot"] = 10
    small = tmp_path / "astroclip_small.yaml"
    small.write_text(yaml.safe_dump(raw))
    summary = bench(small, tmp_path / "out", progress=False)
    assert summary.ok and summary.n_run == 5 * 5 * 2, summary.failures
    rows = sqlite3.connect(tmp_path / "out" / "results.sqlite").execute(
        "SELECT backbone, config FROM results"
    )
    specs = {str(json.loads(config)["resolved_backbone"]) for _, config in rows}
    assert any("clip" in s and s.endswith("spectrum/encoder.safetensors") for s in specs), specs
