"""Crash safety: a SIGKILLed run resumes to bitwise-identical weights; a kill during a checkpoint
write leaves the previous checkpoint loadable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from astrobench.train.checkpoint import KILL_IN_WRITE_ENV, load_latest
from astrobench.train.loop import KILL_AT_STEP_ENV

SCRIPT = Path(__file__).with_name("train_tiny.py")
CONFIG = json.dumps({"num_workers": 2, "epochs": 2})  # 5 steps per epoch


def run_script(out: Path, *, resume: bool = False, env: dict[str, str] | None = None) -> int:
    command = [sys.executable, str(SCRIPT), str(out), "--config", CONFIG]
    if resume:
        command.append("--resume")
    full_env = {
        k: v for k, v in os.environ.items() if k not in (KILL_AT_STEP_ENV, KILL_IN_WRITE_ENV)
    }
    full_env.update(env or {})
    return subprocess.run(command, env=full_env, capture_output=True, timeout=300).returncode


def final_weights(out: Path) -> dict[str, torch.Tensor]:
    return torch.load(out / "final.pt", weights_only=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    out = tmp_path_factory.mktemp("uninterrupted")
    assert run_script(out) == 0
    return final_weights(out)


def assert_bitwise_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), f"{name} differs after resume"


def test_sigkill_at_several_steps_then_resume_gives_identical_weights(uninterrupted, tmp_path):
    # Killed mid-epoch (step 2), at an epoch boundary (step 5, before the epoch-end checkpoint)
    # and late in the second epoch (step 8); each resume continues from the newest checkpoint.
    for step in (2, 5, 8):
        code = run_script(tmp_path, resume=step != 2, env={KILL_AT_STEP_ENV: str(step)})
        assert code == -signal.SIGKILL
        assert not (tmp_path / "final.pt").exists()
    assert run_script(tmp_path, resume=True) == 0
    assert_bitwise_equal(uninterrupted, final_weights(tmp_path))


def test_kill_during_checkpoint_write_leaves_previous_loadable(uninterrupted, tmp_path):
    # The third checkpoint write (after step 3) is cut half way by SIGKILL.
    assert run_script(tmp_path, env={KILL_IN_WRITE_ENV: "3"}) == -signal.SIGKILL
    found = load_latest(tmp_path / "checkpoints")
    assert found is not None
    state, path = found
    assert state["global_step"] == 2 and path.name == "last.pt"
    assert run_script(tmp_path, resume=True) == 0
    assert_bitwise_equal(uninterrupted, final_weights(tmp_path))
