"""configs/astroclip.yaml end to end at toy scale: MAE and SpecFormer towers, CLIP on top of them
(chained steps) and its untrained-heads twin, retrieval rows, properties from every embedding,
supervised baselines and the report section (slow)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from astrobench.bench.runner import bench
from astrobench.report.build import report

SUITE = Path(__file__).resolve().parents[2] / "configs" / "astroclip.yaml"


@pytest.mark.slow
def test_astroclip_suite_runs_every_cell(tmp_path: Path) -> None:
    raw = yaml.safe_load(SUITE.read_text())
    raw["datasets"]["desi"]["synth"]["n"] = 120
    for step in raw["pretrain"]:
        step["settings"].update(epochs=min(step["settings"]["epochs"], 1), batch_size=16)
    for protocol in raw["protocols"]:
        if "train" in protocol.get("settings", {}):
            protocol["settings"]["train"]["epochs"] = 1
    raw["n_boot"] = 10
    small = tmp_path / "astroclip_small.yaml"
    small.write_text(yaml.safe_dump(raw))
    summary = bench(small, tmp_path / "out", progress=False)
    assert summary.ok and summary.n_run == 5 * 5 * 2 + 2 + 2, summary.failures
    rows = sqlite3.connect(tmp_path / "out" / "results.sqlite").execute(
        "SELECT backbone, protocol, metrics, config FROM results"
    )
    found = {(b, p): (json.loads(m), json.loads(c)) for b, p, m, c in rows}
    specs = {str(config["resolved_backbone"]) for _, config in found.values()}
    assert any("clip" in s and s.endswith("spectrum/encoder.safetensors") for s in specs), specs
    aligned, _ = found[("pretrained:clip", "retrieval")]
    untrained, config = found[("pretrained:clip_random", "retrieval")]
    assert (
        config["resolved_backbone"].startswith("ckpt:")
        and "clip_random-" in config["resolved_backbone"]
    )
    assert aligned["chance/recall@10"] == untrained["chance/recall@10"]
    files = report(tmp_path / "out")
    text = files.markdown.read_text()
    assert "properties from every model" in text and "| supervised | spectrum |" in text
    assert "## Similarity search" in text
    names = {path.name for path in files.figures}
    assert any(n.startswith("recall_") for n in names) and "property_maps_desi.png" in names
