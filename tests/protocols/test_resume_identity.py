"""`finetune --resume` of another run (data, target, mode, fraction, backbone, seed) is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.train.run_identity import resume_differences

BASE = {
    "--backbone": "vit_tiny_p8",
    "--target": "label",
    "--mode": "partial",
    "--fraction": "1.0",
    "--seed": "0",
}


def _args(data: Path, out: Path, **changes: str) -> list[str]:
    options = {**BASE, **changes, "--data": str(data), "--out": str(out)}
    flat = [part for pair in options.items() for part in pair]
    return ["finetune", *flat, "--epochs", "1", "--batch-size", "16", "--device", "cpu"]


@pytest.fixture
def first_run(small_cutouts: Path, tmp_path: Path, run_cli, monkeypatch) -> Path:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    out = tmp_path / "run"
    code, _, err = run_cli(*_args(small_cutouts, out))
    assert code == 0, err
    return out


def test_resume_of_the_same_run_is_accepted(first_run, small_cutouts, run_cli) -> None:
    code, out, err = run_cli(*_args(small_cutouts, first_run), "--resume")
    assert code == 0, err
    assert "accuracy=" in out


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"--fraction": "0.5"}, "fraction"),
        ({"--mode": "full"}, "protocol"),
        ({"--seed": "3"}, "seed"),
        ({"--backbone": "vit_tiny_p4"}, "backbone"),
        ({"--target": "redshift"}, "target"),
    ],
)
def test_resume_with_other_settings_is_refused_naming_them(
    first_run, small_cutouts, run_cli, changes, named
) -> None:
    code, _, err = run_cli(*_args(small_cutouts, first_run, **changes), "--resume")
    assert code == 2
    assert err.count("\n") == 1
    assert "resume refused" in err and f"{named}" in err.split("(")[1]


def test_resume_with_rewritten_data_of_same_size_is_refused(
    first_run, small_cutouts, tmp_path, run_cli
) -> None:
    other = tmp_path / "other.h5"
    shutil.copy(small_cutouts, other)
    with h5py.File(other, "r+") as h5:
        h5["catalog/label"][...] = np.roll(h5["catalog/label"][()], 1)
    code, _, err = run_cli(*_args(other, first_run), "--resume")
    assert code == 2
    assert "resume refused" in err and "data differ" in err


def test_differences_name_identity_fields_then_settings() -> None:
    saved = {"identity": {"data": "a", "seed": 0}, "lr": 0.1, "epochs": 2}
    now = {"identity": {"data": "b", "seed": 0}, "lr": 0.2, "epochs": 2}
    assert resume_differences(saved, now) == ["data", "lr"]
    assert resume_differences(now, now) == []
