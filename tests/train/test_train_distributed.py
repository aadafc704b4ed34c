"""torchrun with 2 CPU processes (gloo): trains, ends with identical replicas, exits cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).with_name("train_tiny.py")


def test_torchrun_two_cpu_processes_end_with_identical_replicas(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    config = json.dumps({"epochs": 2, "checkpoint_every_steps": None})
    completed = subprocess.run(
        [str(torchrun), "--standalone", "--nproc-per-node", "2", str(SCRIPT), str(tmp_path),
         "--config", config],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # Both ends of stderr: the failing rank's own message comes before torchrun's summary.
    assert completed.returncode == 0, completed.stderr[:3000] + "\n...\n" + completed.stderr[-1500:]
    replicas = [torch.load(tmp_path / f"final-rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name in replicas[0]:
        assert torch.equal(replicas[0][name], replicas[1][name]), name
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["global_steps"] == 2 * 3  # 40 objects / 2 ranks / batch 8 -> 3 steps per epoch
    assert (tmp_path / "checkpoints" / "last.pt").exists()
    initial = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)["rng"]
    assert len(initial) == 2  # every rank's RNG state is checkpointed
