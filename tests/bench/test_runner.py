"""The runner end to end on a tiny file: rows, reuse, SIGKILL + resume, the README snippet."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from astrobench.bench.runner import bench
from astrobench.bench.store import ResultsStore
from astrobench.errors import ConfigError, DataFormatError

README = Path(__file__).resolve().parents[2] / "README.md"


def _write_suite(folder: Path, data: Path, seeds: int = 2) -> Path:
    suite = {
        "name": "tiny",
        "datasets": {"small": {"path": str(data), "targets": ["label", "redshift"]}},
        "backbones": ["vit_tiny_p8"],
        "protocols": [
            "knn",
            {"name": "linear", "settings": {"c_grid": [1.0], "alpha_grid": [1.0], "max_iter": 20}},
        ],
        "fractions": [0.5, 1.0],
        "seeds": list(range(seeds)),
        "n_boot": 50,
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def _table(folder: Path) -> dict[str, tuple]:
    return {
        r.config_hash: (r.backbone, r.protocol, r.task, r.fraction, r.seed, r.metrics, r.intervals)
        for r in ResultsStore(folder).rows()
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted run of the tiny suite: (suite file, results folder)."""
    from astrobench.data.cutout_writer import write_cutouts

    folder = tmp_path_factory.mktemp("bench")
    rng = np.random.default_rng(0)
    n = 90
    labels = np.arange(n) % 3
    images = rng.normal(0, 1, (n, 5, 16, 16)).astype(np.float32)
    images[:, :, 6:10, 6:10] += labels[:, None, None, None] + 1.0
    catalog = {"label": labels, "redshift": rng.uniform(0.01, 0.4, n), "object_id": np.arange(n)}
    data = folder / "small.h5"
    write_cutouts(
        data,
        images,
        catalog,
        bands=list("ugriz"),
        pixel_scale_arcsec=0.4,
        label_names=["a", "b", "c"],
    )
    suite = _write_suite(folder, data, seeds=2)
    summary = bench(suite, folder / "reference", progress=False, maps=False)
    assert summary.ok and summary.n_run == summary.n_cells == 2 * 2 * 2 * 2
    return suite, folder / "reference"


def test_every_cell_has_a_row_with_predictions_and_cost(reference: tuple[Path, Path]) -> None:
    _, out = reference
    store = ResultsStore(out)
    rows = store.rows()
    assert len(rows) == 16
    for row in rows:
        assert store.predictions_file(row).is_file()
        assert row.headline_metric in row.metrics and row.headline_metric in row.intervals
        low, high = row.intervals[row.headline_metric]
        assert low <= high
        assert row.energy_method == "estimated" and row.energy_kwh > 0 and row.co2_kg > 0
        assert row.params_total > 0 and row.peak_ram_bytes > 0 and row.device
        assert row.config["protocol"]["name"] == row.protocol


def test_rerun_skips_finished_cells(reference: tuple[Path, Path]) -> None:
    suite, out = reference
    before = _table(out)
    summary = bench(suite, out, progress=False, maps=False)
    assert summary.n_run == 0 and summary.n_skipped == 16
    assert _table(out) == before


def test_sigkill_then_rerun_matches_an_uninterrupted_run(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    suite, reference_out = reference
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "astrobench",
        "bench",
        str(suite),
        "--out",
        str(out),
        "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = out / "results.sqlite"
    n_at_kill = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if database.is_file():
            with (
                contextlib.suppress(sqlite3.OperationalError),
                sqlite3.connect(database, timeout=30) as db,
            ):
                n_at_kill = db.execute("SELECT count(*) FROM results").fetchone()[
                    0
                ]  # table may not exist yet
            if n_at_kill >= 3:
                break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < n_at_kill < 16, "the run should be killed mid-way"
    summary = bench(suite, out, progress=False, maps=False)
    assert summary.ok and summary.n_skipped >= n_at_kill
    assert _table(out) == _table(reference_out)
    assert ResultsStore(out).integrity_check() == "ok"


def test_readme_snippet_recomputes_metrics(
    reference: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out = reference
    section = README.read_text().split("## Recomputing a metric from predictions", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    assert snippet is not None
    code = snippet.group(1).replace('DIR = "demo_out"', f"DIR = {str(out)!r}")
    assert str(out) in code
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.count("sigma_nmad") == 8 and printed.count("accuracy") == 8


def test_bad_inputs_raise_one_line_errors(tmp_path: Path) -> None:
    suite = _write_suite(tmp_path, tmp_path / "missing.h5")
    with pytest.raises(DataFormatError, match="does not exist"):
        bench(suite, tmp_path / "out", progress=False)
    with pytest.raises(ConfigError, match="executor"):
        bench(suite, tmp_path / "out", executor="slurm", progress=False)
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "astrobench", "bench", str(suite), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr


@pytest.mark.slow
def test_parallel_workers_give_the_same_rows(reference: tuple[Path, Path], tmp_path: Path) -> None:
    suite, reference_out = reference
    summary = bench(suite, tmp_path / "parallel", workers=2, progress=False, maps=False)
    assert summary.ok and summary.n_run == 16
    assert _table(tmp_path / "parallel") == _table(reference_out)


def test_a_missing_target_column_is_refused_before_any_cell(
    small_cutouts: Path, tmp_path: Path
) -> None:
    from astrobench.bench.suite import parse_suite
    from astrobench.errors import MissingColumnError

    suite = parse_suite(
        {
            "name": "missing",
            "datasets": {"small": {"path": str(small_cutouts), "targets": ["label", "log_mass"]}},
            "backbones": ["vit_tiny_p8"],
            "protocols": ["knn"],
        }
    )
    with pytest.raises(MissingColumnError, match=r"dataset 'small'.*log_mass"):
        bench(suite, tmp_path / "out", progress=False)
    assert (
        not ResultsStore(tmp_path / "out").rows()
        if (tmp_path / "out" / "results.sqlite").exists()
        else True
    )
