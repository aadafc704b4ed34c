"""`astrobench probe` end to end: a generated cutout file, real backbones, every frozen protocol."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from astrobench.cli import main
from astrobench.tasks.base import task_from_description
from astrobench.tasks.predictions import Predictions

PROTOCOLS = "knn,linear,mlp,whitening"


@pytest.fixture(scope="module")
def structured_cutouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 objects, 3 bands, 16x16: the class sets the blob size, the redshift its brightness."""
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(0)
    n = 300
    labels = np.arange(n) % 3
    redshift = rng.uniform(0.05, 0.5, n)
    yy, xx = np.mgrid[:16, :16] - 7.5
    radius = (1.5 + 1.5 * labels)[:, None, None]
    blob = np.exp(-(xx**2 + yy**2)[None] / (2 * radius**2))  # [n, 16, 16]
    flux = (2.0 - 3 * redshift)[:, None, None, None]
    images = flux * blob[:, None] + rng.normal(0, 0.05, (n, 3, 16, 16))
    path = tmp_path_factory.mktemp("probe") / "cutouts.h5"
    write_cutouts(
        path,
        images.astype(np.float32),
        {"label": labels, "redshift": redshift},
        bands=["g", "r", "z"],
        pixel_scale_arcsec=0.262,
        label_names=["compact", "medium", "extended"],
        survey="test",
    )
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    captured = capsys.readouterr()
    return int(stop.value.code or 0), captured.out, captured.err


@pytest.mark.parametrize("backbone", ["vit_tiny_p8", "timm:resnet18?pretrained=false"])
@pytest.mark.parametrize("target", ["label", "redshift"])
def test_probe_writes_results_and_predictions(
    backbone: str,
    target: str,
    structured_cutouts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _run(
        capsys,
        "probe",
        "--backbone",
        backbone,
        "--data",
        str(structured_cutouts),
        "--target",
        target,
        "--protocol",
        PROTOCOLS,
        "--fractions",
        "0.5,1.0",
        "--seeds",
        "0,1",
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert code == 0, stderr
    for name in PROTOCOLS.split(","):
        assert name in stdout
    document = json.loads((out / "results.json").read_text())
    records = document["records"]
    assert len(records) == 4 * 2 * 2
    assert {r["protocol"] for r in records} == set(PROTOCOLS.split(","))
    kind = document["task"]["kind"]
    task = task_from_description(document["task"])
    for record in records:
        assert record["n_val"] == 30 and record["n_test"] == 30
        assert record["hyperparameters"]
        stored = Predictions.load(out / record["predictions"])
        assert (stored.probabilities is not None) == (kind == "classification")
        recomputed = task.score(stored)
        assert recomputed == pytest.approx(record["metrics"], abs=1e-12)
    full = [r for r in records if r["fraction"] == 1.0]
    assert all(r["n_train"] == 240 for r in full)
    if kind == "classification":
        assert max(r["metrics"]["accuracy"] for r in full) > 0.6  # the classes are visible
    else:
        assert max(r["metrics"]["r2"] for r in full) > 0.3


def test_json_output_and_cache_reuse(
    structured_cutouts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "probe",
        "--backbone",
        "vit_tiny_p8",
        "--data",
        str(structured_cutouts),
        "--protocol",
        "knn",
        "--fractions",
        "1.0",
        "--seeds",
        "0",
        "--json",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    code, first, _ = _run(capsys, *args)
    assert code == 0
    code, second, _ = _run(capsys, *args)
    assert json.loads(second)["embedding"]["from_cache"] is True
    assert json.loads(first)["records"][0]["metrics"] == json.loads(second)["records"][0]["metrics"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "mass"], "mass"),
        (["--fractions", "0.01"], "labelled training objects"),
        (["--protocol", "knn,nope"], "unknown protocol 'nope'"),
        (["--fractions", "1.5"], "label fraction"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    extra: list[str],
    message: str,
    structured_cutouts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    code, _, stderr = _run(
        capsys,
        "probe",
        "--backbone",
        "vit_tiny_p8",
        "--data",
        str(structured_cutouts),
        "--seeds",
        "0",
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        *extra,
    )
    assert code == 2
    assert stderr.count("\n") == 1 and message in stderr
    assert not (out / "results.json").exists()
