"""Spectrum pretraining and CLIP alignment under torchrun (2 CPU processes, gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def _torchrun(args: list[str]) -> subprocess.CompletedProcess[str]:
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "astrobench", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.slow
def test_specformer_then_clip_under_torchrun(
    tmp_path: Path, pair_writer: Callable[..., Path]
) -> None:
    data = pair_writer(tmp_path / "pairs.h5", 40)
    spec = tmp_path / "spec"
    done = _torchrun(
        [
            "pretrain",
            "specformer",
            "--data",
            str(data),
            "--out",
            str(spec),
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--n-spans",
            "3",
        ]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((spec / "encoder.json").read_text())["family"] == "specformer"
    clip = tmp_path / "clip"
    done = _torchrun(
        [
            "pretrain",
            "clip",
            "--data",
            str(data),
            "--image",
            "vit_tiny_p4",
            "--spectrum",
            f"ckpt:{spec}",
            "--out",
            str(clip),
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--embed-dim",
            "16",
        ]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((clip / "history.json").read_text())
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.splits import split_indices

    with CutoutFile(data) as cutouts:
        n_train = split_indices(cutouts, seed=0)["train"].size
    assert history["global_steps"] == n_train // 2 // 4  # each rank takes half, drop_last
    assert (clip / "image" / "encoder.safetensors").exists()
