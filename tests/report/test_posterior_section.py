"""The report's posterior part: table and figures from stored rows with posterior predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrobench.bench.store import ResultsStore, predictions_relpath
from astrobench.report.build import report
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions

from .conftest import EVIL, _row


def _posterior_rows(folder: Path) -> None:
    """Two backbones x (a calibrated `flow`, an over-confident `gaussian`) on photo-z."""
    rng = np.random.default_rng(1)
    store = ResultsStore(folder)
    task = PhotozTask(("redshift",))
    z = rng.uniform(0.02, 0.4, 300)
    sigma = 0.02 * (1 + z)
    mean = z + sigma * rng.normal(size=300)  # the truth is a draw from N(mean, sigma)
    for b, backbone in enumerate(["vit_tiny_p8", f"evil{EVIL}"]):
        for protocol, spread in (("flow", 1.0), ("gaussian", 1 / 3)):
            key = f"p{b}{protocol}"
            samples = mean[:, None, None] + spread * sigma[:, None, None] * rng.normal(
                size=(300, 100, 1)
            )
            log_density = -0.5 * ((z - mean) / (spread * sigma)) ** 2 - np.log(
                spread * sigma * np.sqrt(2 * np.pi)
            )
            predictions = Predictions(
                z, np.median(samples, axis=1)[:, 0], samples=samples, indices=np.arange(300),
                extra={"log_density": log_density},
            )  # fmt: skip
            predictions.save(folder / predictions_relpath(key), task.describe())
            metrics = task.score(predictions)
            store.insert(_row(key, "redshift", backbone, protocol, 1.0, 0, metrics, "photoz"))


def test_report_has_a_posterior_table_and_figures(tmp_path: Path) -> None:
    _posterior_rows(tmp_path)
    files = report(tmp_path)
    markdown = files.markdown.read_text()
    assert "Posterior calibration" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| vit_tiny_p8 |")]
    verdicts = {line.split("|")[2].strip(): line.rsplit("|", 2)[-2].strip() for line in table}
    assert verdicts == {"flow": "calibrated", "gaussian": "over-confident"}
    nll_rows = [
        line for line in markdown.splitlines() if "| flow |" in line or "| gaussian |" in line
    ]
    assert "flow" in nll_rows[0]  # lowest NLL first: the calibrated posterior
    names = {p.name for p in files.figures}
    assert any(n.startswith("tarp_") and "flow" in n for n in names)
    assert any(n.startswith("pit_") for n in names) and any(
        n.startswith("examples_") for n in names
    )
    html = files.html.read_text()
    assert EVIL not in html and "TARP expected coverage" in html
