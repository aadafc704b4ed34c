"""`astrobench report`: report.md + a self-contained, escaped report.html with every figure."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from astrobench.errors import DataFormatError
from astrobench.report.build import report

EVIL = "<script>alert(1)</script>"  # the hostile name the results_dir fixture plants


def test_report_is_self_contained_and_complete(results_dir: Path) -> None:
    files = report(results_dir)
    html = files.html.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    # fraction curves + confusion (label), fraction curves + photo-z scatter (redshift), one map
    assert len(images) == 5
    for encoded in images:
        assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert "http://" not in html and "https://" not in html and "<link" not in html
    for name in (
        "fractions_survey___label",
        "confusion_survey___label",
        "photoz_survey___redshift",
        "maps_survey",
    ):
        assert (results_dir / "figures" / f"{name}.png").is_file()
    assert "figures/photoz_survey___redshift.png" in files.markdown.read_text()


def test_catalog_and_config_strings_are_escaped(results_dir: Path) -> None:
    files = report(results_dir)
    html, markdown = files.html.read_text(), files.markdown.read_text()
    assert EVIL not in html and EVIL not in markdown
    assert "&lt;script&gt;" in html
    assert html.count("<script") == 0


def test_leaderboard_numbers_come_from_the_rows(results_dir: Path) -> None:
    from astrobench.bench.aggregate import summarise
    from astrobench.bench.store import ResultsStore

    markdown = report(results_dir).markdown.read_text()
    for group in summarise(ResultsStore(results_dir).rows()):
        if group.fraction == 1.0:
            assert f"{group.headline.mean:.4g} ± {group.headline.std:.2g}" in markdown
    assert "Ranking" in markdown and "IQM" in markdown


def test_missing_results_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"results\.sqlite"):
        report(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "astrobench", "report", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "results.sqlite" in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_report_renders_in_headless_chromium(results_dir: Path, tmp_path: Path) -> None:
    files = report(results_dir)
    shot = tmp_path / "shot.png"
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        files.html.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    # figures render as coloured pixels; a page of text alone is almost all grey levels
    colourful = np.abs(pixels[..., 0] - pixels[..., 2]) > 0.2
    assert colourful.mean() > 0.01


def test_fraction_curves_accept_seeds_that_agree_exactly() -> None:
    """Three seeds scoring 0.1 average to 0.1 + 1e-17: the error bar must clip, not crash."""
    from astrobench.bench.aggregate import summarise
    from astrobench.report import figures

    from .conftest import _row

    rows = [
        _row(f"k{f}{s}", "label", "vit", "knn", f, s, {"accuracy": 0.1}, "classification")
        for f in (0.1, 1.0)
        for s in (0, 1, 2)
    ]
    png = figures.fraction_curves(summarise(rows), "accuracy vs label fraction")
    assert png.startswith(b"\x89PNG")


def test_photoz_leaderboard_shows_bias_and_eta_at_both_thresholds(results_dir: Path) -> None:
    from astrobench.bench.aggregate import summarise
    from astrobench.bench.store import ResultsStore

    markdown = report(results_dir).markdown.read_text()
    section = markdown[markdown.index("/ redshift") :]
    header = next(line for line in section.splitlines() if line.startswith("| backbone"))
    assert "| outlier_fraction_0.05 | outlier_fraction_0.15 | bias |" in header
    for group in summarise(ResultsStore(results_dir).rows()):
        if group.task == "redshift" and group.fraction == 1.0:
            eta = group.metrics["outlier_fraction_0.05"]
            assert f"{eta.mean:.4g} ± {eta.std:.2g}" in section


def test_sections_carry_anchor_ids_made_only_of_safe_characters(results_dir: Path) -> None:
    from astrobench.report.render import slug

    assert slug("fields / boxes") == "fields-boxes"
    assert slug('<script>x</script> / "z"') == "script-x-script-z"
    html = report(results_dir).html.read_text()
    assert 'id="ranking"' in html and 'id="provenance"' in html
    ids = re.findall(r'<h2 id="([^"]*)"', html)
    assert len(ids) == len(re.findall(r"<h2", html))
    assert all(re.fullmatch(r"[a-z0-9-]+", anchor) for anchor in ids)


def test_pretraining_reconstructions_are_captioned_by_their_method(results_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for step, method in (("mae-1", "mae"), ("spec-2", "specformer"), ("other-3", None)):
        folder = results_dir / "pretrain" / step
        folder.mkdir(parents=True)
        if method:
            (folder / f"{method}.json").write_text("{}")
        figure = plt.figure(figsize=(1, 1))
        figure.savefig(folder / "recon.png")
        plt.close(figure)
    html = report(results_dir).html.read_text()
    assert "MAE reconstructions (mae-1): input, masked input" in html
    assert "SpecFormer (spec-2): validation spectra with the masked spans filled in" in html
    assert "Reconstructions (other-3)" in html
    assert "MAE reconstructions (spec-2)" not in html
