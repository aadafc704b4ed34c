"""`astrobench demo --quick`: the whole main job, small; a re-run reuses everything."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from astrobench.bench.store import ResultsStore
from astrobench.bench.suite import expand_grid, load_suite
from astrobench.demo import demo_config_path


def test_demo_suites_cover_the_comparison() -> None:
    for quick in (True, False):
        suite = load_suite(demo_config_path(quick))
        cells = expand_grid(suite)
        expected = {"knn", "linear", "finetune", "scratch"} | (set() if quick else {"mlp"})
        assert {c.protocol for c in cells} >= expected
        assert {c.target for c in cells} == {"label", "redshift"}
        assert {c.fraction for c in cells} == {0.1, 1.0}
        assert len({c.seed for c in cells}) >= 2
        assert any(b.startswith("pretrained:") for b in suite.backbones)
        assert any(b.startswith("timm:") for b in suite.backbones)


@pytest.mark.slow
def test_quick_demo_end_to_end_and_rerun(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    command = [sys.executable, "-m", "astrobench", "demo", "--quick", "--out", str(out)]
    started = time.perf_counter()
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    first_seconds = time.perf_counter() - started
    assert first.returncode == 0, first.stderr[-2000:]
    findings = re.findall(r"^  \d\. (.+)$", first.stdout, re.M)
    # MAE vs random init, the best photo-z, image vs photometry on photo-z, the confused classes
    assert len(findings) == 4, first.stdout
    assert "vs the same architecture at random init" in findings[0]
    assert "photometry alone" in findings[2]
    html = (out / "report.html").read_text()
    for finding in findings:  # the report carries the same findings, numbers included
        assert finding.split(":")[0] in html
    store = ResultsStore(out)
    n_rows = len(store.rows())
    assert n_rows == len(expand_grid(load_suite(demo_config_path(True))))
    assert store.integrity_check() == "ok"
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0
    assert f"0 cells run, {n_rows} reused" in second.stdout
    assert "reusing" in second.stdout + second.stderr  # the survey and the pretrained encoder
    assert re.findall(r"^  \d\. (.+)$", second.stdout, re.M) == findings
    print(f"quick demo: {first_seconds:.0f} s")
