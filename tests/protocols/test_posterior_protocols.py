"""`flow`, `gaussian`, `knn_posterior` end to end: cutout file, probe, predictions, metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from astrobench.metrics import calibration as cal
from astrobench.protocols.probe import probe
from astrobench.tasks.predictions import Predictions

BACKBONE = "catalog:mag_u,mag_g,mag_r,mag_i,mag_z"
SMALL_FLOW = {"members": 2, "max_epochs": 4, "width_min": 16, "width_max": 24, "samples": 50}


def write_survey(path: Path, n: int = 400, log_mstar: np.ndarray | None = None) -> Path:
    """Magnitudes that encode redshift and mass with noise, so the posterior has a width.

    `log_mstar` replaces the catalog's mass column only (the magnitudes stay clean).
    """
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(0)
    redshift = rng.uniform(0.02, 0.4, n)
    mass = 9.5 + 1.5 * rng.random(n)
    colour = 2 * redshift + rng.normal(0, 0.05, n)
    bright = 25 - 0.8 * mass + 5 * redshift
    mags = {f"mag_{b}": bright + k * colour + rng.normal(0, 0.05, n) for k, b in enumerate("ugriz")}
    write_cutouts(
        path,
        rng.normal(0, 1, (n, 5, 8, 8)).astype(np.float32),
        {
            "redshift": redshift,
            "log_mstar": mass if log_mstar is None else log_mstar,
            "label": np.arange(n) % 2,
            **mags,
        },
        bands=list("ugriz"),
        pixel_scale_arcsec=0.396,
        label_names=["a", "b"],
        survey="test",
    )
    return path


def test_flow_predictions_carry_samples_densities_and_posterior_metrics(tmp_path: Path) -> None:
    data = write_survey(tmp_path / "survey.h5")
    report = probe(
        BACKBONE, data, "redshift,log_mstar", ["flow"], out=tmp_path / "out", settings=SMALL_FLOW
    )
    result = report.results[0]
    predictions = Predictions.load(tmp_path / "out" / "predictions" / "flow_1_0.npz")
    assert predictions.samples is not None and predictions.samples.shape[1:] == (50, 2)
    np.testing.assert_allclose(
        predictions.y_pred, np.median(predictions.samples, axis=1), rtol=1e-6
    )
    log_density = predictions.extra["log_density"]
    assert result.metrics["nll"] == pytest.approx(-log_density.mean())
    members = predictions.extra["member_log_density"]  # [n, M]
    np.testing.assert_allclose(log_density, cal.mixture_log_density(members.T), rtol=1e-10)
    again = cal.posterior_metrics(
        predictions.samples, predictions.y_true, ("redshift", "log_mstar")
    )
    for name in ("tarp_area", "coverage68", "log_mstar/coverage95"):
        assert result.metrics[name] == pytest.approx(again[name])
    assert {"redshift/sigma_nmad", "redshift/outlier_fraction_0.15", "r2"} <= result.metrics.keys()
    assert [m["architecture"]["transforms"] for m in result.hyperparameters["members"]]


def test_baselines_from_the_command_line(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    data = write_survey(tmp_path / "survey.h5")
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        "probe", "--backbone", BACKBONE, "--data", data, "--target", "redshift",
        "--protocol", "gaussian,knn_posterior", "--fractions", "1.0", "--seeds", "0",
        "--out", out,
    )  # fmt: skip
    assert code == 0, stdout
    assert "coverage68" in stdout and "nll" in stdout  # calibration beside accuracy in the table
    records = {r["protocol"]: r for r in json.loads((out / "results.json").read_text())["records"]}
    gaussian = records["gaussian"]["metrics"]
    assert {"nll", "crps", "pit_ks_pvalue", "sigma_nmad"} <= gaussian.keys()
    assert "nll" not in records["knn_posterior"]["metrics"]  # samples only, no density
    knn = Predictions.load(out / "predictions" / "knn_posterior_1_0.npz")
    k = records["knn_posterior"]["hyperparameters"]["k"]
    assert knn.samples is not None and knn.samples.shape[1:] == (k, 1)
    assert records["gaussian"]["metrics"]["nll"] < 0  # redshift known to a few hundredths


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("sentinel", r"target column 'log_mstar' has 3 sentinel \(-99: 3\) values among"),
        ("constant", r"target column 'log_mstar' is constant \(10\)"),
        ("classes", r"estimates posteriors of real-valued targets, not the classes of 'label'"),
        ("few", r"protocol '\w+' needs at least \d+ labelled (train|val) objects, got \d+"),
    ],
)
def test_bad_targets_exit_2_with_one_line(
    tmp_path: Path, run_cli, change: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    n = 30 if change == "few" else 200
    mass = np.full(n, 10.0) if change == "constant" else 9.5 + np.arange(n) / n
    if change == "sentinel":
        mass[[3, 50, 150]] = -99.0
    data = write_survey(tmp_path / "survey.h5", n, mass)
    target = "label" if change == "classes" else "redshift,log_mstar"
    for protocol in ("flow", "gaussian", "knn_posterior"):
        code, stdout, stderr = run_cli(
            "probe", "--backbone", BACKBONE, "--data", data, "--target", target,
            "--protocol", protocol, "--fractions", "1.0", "--seeds", "0",
        )  # fmt: skip
        assert code == 2, stdout + stderr
        assert len(stderr.strip().splitlines()) == 1
        assert re.search(message, stderr), stderr


def test_a_posterior_metric_can_be_the_headline(tmp_path: Path) -> None:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.errors import ConfigError
    from astrobench.tasks.resolve import resolve_task

    data = write_survey(tmp_path / "survey.h5", n=50)
    with CutoutFile(data) as cutouts:
        assert (
            resolve_task(cutouts, "redshift", options={"headline": "nll"}).headline_metric == "nll"
        )
        task = resolve_task(
            cutouts, "redshift,log_mstar", options={"headline": "log_mstar/coverage68"}
        )
        assert task.headline_metric == "log_mstar/coverage68"
        with pytest.raises(ConfigError, match="no metric 'nl'"):
            resolve_task(cutouts, "redshift", options={"headline": "nl"})
        with pytest.raises(ConfigError, match="no metric 'nll'"):
            resolve_task(cutouts, "label", options={"headline": "nll"})
