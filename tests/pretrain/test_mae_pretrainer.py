"""`astrobench pretrain mae` end to end: outputs, ckpt: loading, exact resume, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.cli import main

ARGS = ["--arch", "vit_tiny", "--patch", "4", "--epochs", "3", "--batch-size", "8", "--seed", "3"]


def _run_cli(
    args: list[str], env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    command = [sys.executable, "-m", "astrobench", "pretrain", "mae", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory, blob_writer: Callable[..., Path]) -> Path:
    """24 cutouts: about 19 for training, two steps of 8 per epoch."""
    return blob_writer(tmp_path_factory.mktemp("data") / "blobs.h5", 24)


@pytest.fixture(scope="module")
def finished_run(data_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "mae"
    done = _run_cli(["--data", str(data_file), "--out", str(out), *ARGS])
    assert done.returncode == 0, done.stderr
    return out


def _losses(out: Path) -> list[float]:
    return [row["train_loss"] for row in json.loads((out / "history.json").read_text())["epochs"]]


def test_run_writes_encoder_history_and_recon(finished_run: Path) -> None:
    history = json.loads((finished_run / "history.json").read_text())
    assert [row["epoch"] for row in history["epochs"]] == [0, 1, 2]
    assert all(
        np.isfinite(row["train_loss"]) and row["images_per_second"] > 0 for row in history["epochs"]
    )
    recon = finished_run / "recon.png"
    assert recon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and recon.stat().st_size > 10_000
    sidecar = json.loads((finished_run / "encoder.json").read_text())
    assert (
        sidecar["bands"] == list("ugriz")
        and sidecar["epochs"] == 3
        and sidecar["pooling"] == "mean"
    )
    assert len(sidecar["normalisation"]["mean"]) == 5 and len(sidecar["data_hash"]) == 64
    assert sidecar["split_seed"] == 0


def test_encoder_loads_as_ckpt_backbone(finished_run: Path) -> None:
    from safetensors.torch import load_file

    from astrobench.models.create import create_backbone

    backbone = create_backbone(f"ckpt:{finished_run / 'encoder.safetensors'}")
    saved = load_file(str(finished_run / "encoder.safetensors"))
    loaded = {
        k: v for k, v in backbone.state_dict().items() if k.endswith("blocks.11.mlp.fc2.weight")
    }
    assert torch.equal(next(iter(loaded.values())), saved["blocks.11.mlp.fc2.weight"])
    with torch.inference_mode():
        features = backbone.forward_features(torch.randn(2, 5, 16, 16))
    assert features.shape == (2, 192) and torch.isfinite(features).all()


def test_sigkill_then_resume_reproduces_uninterrupted_history(
    data_file: Path, finished_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = ["--data", str(data_file), "--out", str(out), *ARGS]
    killed = _run_cli(args, {"ASTROBENCH_TEST_KILL_AT_STEP": "3"})  # mid-way through epoch 2
    assert killed.returncode == -9, killed.stderr
    assert not (out / "encoder.safetensors").exists()
    resumed = _run_cli([*args, "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert _losses(out) == _losses(finished_run)
    from safetensors.torch import load_file

    a, b = (
        load_file(str(out / "encoder.safetensors")),
        load_file(str(finished_run / "encoder.safetensors")),
    )
    assert all(torch.equal(a[name], b[name]) for name in a)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--batch-size", "64"], "fewer than one batch"),
        (["--crop", "32"], "larger than the 16x16"),
        (["--patch", "5"], "does not divide"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    data_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    fragment: str,
) -> None:
    args = [
        "pretrain",
        "mae",
        "--data",
        str(data_file),
        "--out",
        str(tmp_path / "o"),
        "--epochs",
        "1",
        *extra,
    ]
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err
    assert not (tmp_path / "o" / "encoder.safetensors").exists()


@pytest.mark.parametrize("layer", ["plain", "pcm"])
def test_exported_encoder_gives_same_features_through_ckpt(layer: str, tmp_path: Path) -> None:
    from astrobench.models.create import create_backbone
    from astrobench.pretrain.mae import MaeConfig, MaskedAutoencoder
    from astrobench.pretrain.mae_export import export_encoder

    torch.manual_seed(0)
    model = MaskedAutoencoder(MaeConfig(patch_size=4, img_size=16, in_chans=5, layer=layer)).eval()
    stats = {"kind": "zscore", "mean": [0.0] * 5, "std": [1.0] * 5}
    path = export_encoder(
        model, tmp_path, bands=list("ugriz"), normalisation=stats, data_hash="x", epochs=1
    )
    backbone = create_backbone(f"ckpt:{path}").eval()
    images = torch.randn(2, 5, 16, 16)
    with torch.inference_mode():
        expected = model.encoder.forward_features(images).mean(dim=1)  # GAP over patch tokens
        torch.testing.assert_close(backbone.forward_features(images), expected)
