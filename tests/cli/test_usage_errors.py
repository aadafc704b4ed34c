"""Usage mistakes are user errors: exit 2 and one line, from typer's vendored click too."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["probe", "--data", "x.h5"], "Missing option '--backbone'"),
        (["data", "synth", "--n", "abc", "--out", "x.h5"], "Invalid value for '--n'"),
        (["data", "info", "--bogus", "x.h5"], "No such option: --bogus"),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(run_cli, args, message) -> None:
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: ") and message in err
    assert "astrobench" in err and "--help" in err


def test_usage_error_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "astrobench", "frobnicate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: No such command 'frobnicate'. (hint: see `astrobench --help`)"
    ]


def test_no_arguments_shows_help_and_exits_0(run_cli) -> None:
    code, out, err = run_cli("data")
    assert code == 0 and err == ""
    assert "synth" in out and "validate" in out


def test_installed_typer_is_inside_the_tested_bound() -> None:
    major, minor = (int(part) for part in version("typer").split(".")[:2])
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"typer>={major}.{minor},<{major}.{minor + 1}"' in pyproject
