"""Promises of README.md and DESIGN.md that no other test file checks directly.

docs/testing.md maps every promise a user relies on to its test (here or elsewhere).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from astrobench.cli import main
from astrobench.data.cutout_writer import write_cutouts


def run_any(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    """Run `astrobench ARGS` in-process as the console script would: an exception that escapes
    `main` is exit 1 with a traceback, as Python itself would end the process."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except Exception as error:  # an escaped exception is what is being tested
        out, err = capsys.readouterr()
        return 1, out, err + f"Traceback (most recent call last):\n{type(error).__name__}\n"
    else:
        code = 0
    out, err = capsys.readouterr()
    return code, out, err


# --- "Every user error is one line and exit code 2" (README), including usage errors -----------


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["probe", "--data", "x.h5"],  # required options missing
        ["data", "synth", "--n", "abc", "--out", "x.h5"],  # not an integer
        ["data", "info"],  # missing argument
        ["finetune", "--no-such-option"],
    ],
    ids=["unknown-command", "missing-option", "bad-integer", "missing-argument", "unknown-option"],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_any(capsys, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_user_error_is_one_line_exit_2_and_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.h5"
    code, out, err = run_any(capsys, "data", "info", missing)
    assert (code, out) == (2, "")
    assert (
        err == f"error: {missing}: no such file (hint: check the path, or create one with "
        "`astrobench data synth`)\n"
    )
    code, _, err = run_any(capsys, "--debug", "data", "info", missing)
    assert code == 2 and "Traceback" in err and err.strip().endswith("`astrobench data synth`)")


# --- "Reads check declared shapes against actual storage and limits before allocating" -------

_LIMITED = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # 2 GiB of address space
    from astrobench.cli import main
    main(sys.argv[1:])
    """
)


def _declares_a_billion_images(tmp_path: Path) -> Path:
    """A ~100 KB cutout file whose /images and catalog declare 10^9 objects (chunks unwritten)."""
    path = write_cutouts(
        tmp_path / "huge.h5",
        np.zeros((2, 3, 8, 8), dtype=np.float32),
        {"object_id": [0, 1], "label": [0, 1]},
        bands=["g", "r", "z"],
        pixel_scale_arcsec=0.262,
    )
    n = 10**9
    with h5py.File(path, "r+") as handle:
        del handle["images"]
        handle.create_dataset(
            "images", shape=(n, 3, 8, 8), dtype="f4", chunks=(1, 3, 8, 8), fletcher32=True
        )
        for name in ("object_id", "label"):
            del handle[f"catalog/{name}"]
            handle.create_dataset(f"catalog/{name}", shape=(n,), dtype="i8", chunks=(1 << 16,))
    assert path.stat().st_size < 1_000_000
    return path


@pytest.mark.parametrize("command", [["data", "info"], ["data", "validate"]])
def test_a_file_declaring_a_billion_images_is_refused_quickly(
    tmp_path: Path, command: list[str]
) -> None:
    path = _declares_a_billion_images(tmp_path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path])
    try:
        done = subprocess.run(
            [sys.executable, "-c", _LIMITED, *command, str(path)],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`astrobench {' '.join(command)}` still running after 20 s")
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(done.stderr.strip().splitlines()) == 1


# --- "a resume with other data, target, protocol, fraction, backbone or seed is refused" ------


def _finetune(out: Path, data: Path, *extra: str) -> list[str]:
    return [
        "finetune",
        "--backbone",
        "timm:test_vit?pretrained=false",
        "--data",
        str(data),
        "--target",
        "label",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--device",
        "cpu",
        "--out",
        str(out),
        *extra,
    ]


def test_finetune_resume_with_other_settings_is_refused(
    small_cutouts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code, _, err = run_any(capsys, *_finetune(out, small_cutouts))
    assert code == 0, err
    for changed in (["--fraction", "0.5"], ["--seed", "1"], ["--mode", "partial"]):
        code, _, err = run_any(capsys, *_finetune(out, small_cutouts, "--resume", *changed))
        assert code == 2, (changed, err)
        assert len(err.strip().splitlines()) == 1 and "resume" in err, (changed, err)
    code, _, err = run_any(capsys, *_finetune(out, small_cutouts, "--resume"))
    assert code == 0, err  # the same settings resume


# --- "pickled weights only with weights_only=True" (DESIGN, Security) ------------------------


class _RunsCode:
    """Unpickling this object would call `Path.touch` on the marker: code execution."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_checkpoint_that_would_run_code_is_refused_without_running_it(tmp_path: Path) -> None:
    import torch

    from astrobench.errors import CheckpointError
    from astrobench.train.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, load_latest

    marker = tmp_path / "code-ran"
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    torch.save({"format": CHECKPOINT_FORMAT, "evil": _RunsCode(marker)}, folder / "last.pt")
    with pytest.raises(
        CheckpointError, match=r"cannot read checkpoint .*last\.pt: UnpicklingError"
    ):
        load_checkpoint(folder / "last.pt")
    with pytest.raises(CheckpointError, match="no readable checkpoint"):
        load_latest(folder)
    assert not marker.exists()
