"""`astrobench detect` end to end on tiny fields: the COCO files it writes are read back by
pycocotools directly and give the same AP50 and IoU sweep; bad input is one line, exit 2."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.synth.fields import synthesize_fields


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect") / "fields.h5"
    return synthesize_fields("fields-desi-ls", 10, 4, out, size=64, progress=False)


def _pycocotools_ap(folder: Path, thresholds: np.ndarray) -> np.ndarray:
    """AP at each IoU threshold, straight from the stored files (no astrobench code)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(folder / "gt.json"))
        dt = gt.loadRes(str(folder / "predictions.json"))
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.params.iouThrs = thresholds
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"][:, :, :, 0, -1]  # [T, R, K]
    return np.array([p[p > -1].mean() for p in precision])


def test_detect_writes_coco_files_that_pycocotools_scores_the_same(
    fields: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "run"
    code, text, err = run_cli(
        "detect", "--backbone", "timm:test_resnet?pretrained=false", "--data", fields,
        "--epochs", "1", "--batch-size", "4", "--out", out, "--json",
    )  # fmt: skip
    assert code == 0, err
    printed = json.loads(text)
    stored = json.loads((out / "metrics.json").read_text())
    assert stored["metrics"] == pytest.approx(printed, nan_ok=True)
    predictions = json.loads((out / "predictions.json").read_text())
    gt = json.loads((out / "gt.json").read_text())
    assert {p["image_id"] for p in predictions} <= {i["id"] for i in gt["images"]}
    assert stored["n_test"] == len(gt["images"]) and stored["neck"] == "fpn"
    if predictions:
        assert set(predictions[0]) == {"image_id", "category_id", "bbox", "score"}
        sweep = _pycocotools_ap(out, np.round(np.linspace(0.1, 0.9, 9), 2))
        ours = [printed[f"AP@{t:.1f}"] for t in np.arange(1, 10) / 10]
        np.testing.assert_allclose(ours, sweep, atol=1e-6)
        ap50 = _pycocotools_ap(out, np.array([0.5]))[0]
        assert printed["AP50"] == pytest.approx(ap50, abs=1e-6)
    assert (out / "checkpoints").is_dir() and (out / "history.json").exists()


def test_recomputation_on_nonzero_scores(fields: Path, tmp_path: Path) -> None:
    """With every detection kept (score threshold 0) some boxes overlap at low IoU, so the
    comparison above is not a comparison of zeros."""
    from astrobench.protocols.detect import detect

    result = detect(
        "vit_tiny_p8",
        fields,
        "frozen",
        tmp_path / "vit",
        {"epochs": 1, "batch_size": 4, "score_threshold": 0.0, "pyramid_channels": 32},
    )
    sweep = _pycocotools_ap(tmp_path / "vit", np.round(np.linspace(0.1, 0.9, 9), 2))
    assert sweep[0] > 0
    ours = [result.metrics[f"AP@{t:.1f}"] for t in np.arange(1, 10) / 10]
    np.testing.assert_allclose(ours, sweep, atol=1e-6)
    assert result.info["params_trainable"] < result.info["params_total"]
    assert result.info["neck"] == "simple_pyramid"
    # A random-init ViT sees asinh(x / sigma_sky); the MAD estimate matches the simulator's sigma
    from astrobench.data.cutout_file import CutoutFile

    with CutoutFile(fields) as f:
        true_sigma = f.attrs["sky_sigma_nanomaggy"]
    np.testing.assert_allclose(result.info["input_asinh_softening"], true_sigma, rtol=0.15)


def test_bad_input_is_one_line_exit_2(fields: Path, tmp_path: Path, run_cli) -> None:
    plain = write_cutouts(
        tmp_path / "plain.h5",
        np.zeros((10, 1, 32, 32), np.float32),
        {"object_id": np.arange(10)},
        bands=["r"],
        pixel_scale_arcsec=0.262,
    )
    cases = [
        (("--data", plain), "has no /boxes"),
        (("--data", fields, "--mode", "partial"), "setting 'mode': Input should be 'frozen'"),
        (("--data", fields, "--neck", "bifpn"), "unknown detection neck 'bifpn'"),
        (("--data", fields, "--batch-size", "0"), "setting 'batch_size'"),
    ]
    for args, message in cases:
        code, _, err = run_cli(
            "detect", "--backbone", "vit_tiny_p8", "--epochs", "1", "--out", tmp_path / "o", *args
        )
        assert code == 2 and message in err and err.count("\n") == 1, err


@pytest.mark.slow
def test_a_killed_detection_run_resumes_to_the_same_predictions(
    fields: Path, tmp_path: Path
) -> None:
    """SIGKILL after optimizer step 3 (of 4), resume: the same predictions as a run that was
    never interrupted (weights, optimizer, schedule and every RNG come back exactly)."""
    import os
    import signal
    import subprocess
    import sys

    from astrobench.train.loop import KILL_AT_STEP_ENV

    def run(out: Path, *extra: str, env: dict[str, str] | None = None) -> int:
        command = [sys.executable, "-m", "astrobench", "detect", "--backbone",
                   "timm:test_resnet?pretrained=false", "--data", str(fields), "--epochs", "2",
                   "--batch-size", "4", "--out", str(out), *extra]  # fmt: skip
        full_env = {k: v for k, v in os.environ.items() if k != KILL_AT_STEP_ENV}
        full_env.update(env or {})
        return subprocess.run(command, env=full_env, capture_output=True, timeout=600).returncode

    assert run(tmp_path / "straight") == 0
    assert run(tmp_path / "killed", env={KILL_AT_STEP_ENV: "3"}) == -signal.SIGKILL
    assert not (tmp_path / "killed" / "predictions.json").exists()
    assert run(tmp_path / "killed", "--resume") == 0
    for name in ("predictions.json", "gt.json"):
        assert (tmp_path / "killed" / name).read_bytes() == (
            tmp_path / "straight" / name
        ).read_bytes()
    from astrobench.train.checkpoint import LAST, load_checkpoint

    straight = load_checkpoint(tmp_path / "straight" / "checkpoints" / LAST)["model"]
    resumed = load_checkpoint(tmp_path / "killed" / "checkpoints" / LAST)["model"]
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
