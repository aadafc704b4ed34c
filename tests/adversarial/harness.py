"""Run a command on a corpus case and check the reliability rule (docs/reliability.md).

The rule: exit 0 or 2 (never 1, never a signal); at most two lines on stderr without --debug;
nothing written outside the case's outputs; no temporary file left; memory under a cap.
In-process runs are cheap (no interpreter start); subprocess runs see signals and memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
TEMP_MARKERS = (".tmp", ".unpacked-", "astrobench-")
MAX_STDERR_LINES = 2


@dataclass
class Outcome:
    """What one command did."""

    code: int  # exit code; negative: killed by that signal
    stdout: str
    stderr: str
    max_rss_mb: float = 0.0
    seconds: float = 0.0


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of every file under `root`."""
    files = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            files[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


def run_in_process(argv: list[str], cwd: Path) -> Outcome:
    """`astrobench ARGV` in this interpreter (typer's click runs in-process)."""
    from astrobench.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        os.chdir(previous)
    return Outcome(code, out.getvalue(), err.getvalue(), 0.0, time.perf_counter() - started)


# The child reports its own peak RSS (VmHWM) at exit: getrusage's ru_maxrss would also count
# the memory of the forked test process before exec.
_CHILD = """
import atexit, os, sys
def _report_peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["ASTROBENCH_TEST_PEAK_FILE"], "w") as out:
        out.write(peak)
atexit.register(_report_peak)
from astrobench.cli import main
main(sys.argv[1:])
"""


def run_in_subprocess(
    argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float = 300.0
) -> Outcome:
    """`astrobench ARGV` in a child process, with its peak resident memory."""
    stdout, stderr, peak = cwd / ".stdout.txt", cwd / ".stderr.txt", cwd / ".peak_kb.txt"
    started = time.perf_counter()
    env = {**env, "ASTROBENCH_TEST_PEAK_FILE": str(peak)}
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *argv], cwd=cwd, env=env, stdout=out, stderr=err
        )
        deadline = started + timeout_s
        while True:
            pid, status = os.waitpid(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status = os.waitpid(child.pid, 0)
                break
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen quiet
    outcome = Outcome(
        os.waitstatus_to_exitcode(status),
        stdout.read_text(errors="replace"),
        stderr.read_text(errors="replace"),
        float(peak.read_text()) / 1024.0 if peak.exists() else float("inf"),
        time.perf_counter() - started,
    )
    for path in (stdout, stderr, peak):
        path.unlink(missing_ok=True)
    return outcome


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment of a subprocess: this checkout's sources, an isolated home, offline."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(SRC),
        "ASTROBENCH_HOME": str(home),
        "HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update(extra)
    return env


def limit_file_size(n_bytes: int) -> None:
    """preexec_fn: cap every file this child writes at `n_bytes` (writes then fail EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, resource.RLIM_INFINITY))


def check_rule(
    outcome: Outcome,
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
    outputs: Iterable[str],
    *,
    max_rss_mb: float | None = None,
    allowed_codes: tuple[int, ...] = (0, 2),
) -> list[str]:
    """Every violation of the reliability rule, as readable lines (empty: the rule holds)."""
    problems = []
    if outcome.code not in allowed_codes:
        problems.append(f"exit code {outcome.code} not in {allowed_codes}")
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    if len(lines) > MAX_STDERR_LINES:
        problems.append(f"{len(lines)} lines on stderr: {lines[:4]}")
    allowed = tuple(str(Path(o)) for o in outputs)
    changed = [p for p, stamp in after.items() if before.get(p) != stamp]
    outside = [p for p in changed if not any(p == a or p.startswith(a + os.sep) for a in allowed)]
    if outside:
        problems.append(f"wrote outside its outputs {list(allowed)}: {outside[:5]}")
    removed = [p for p in before if p not in after]
    if removed:
        problems.append(f"removed earlier files: {removed[:5]}")
    temps = [p for p in after if any(m in Path(p).name for m in TEMP_MARKERS)]
    if temps:
        problems.append(f"temporary files left: {temps[:5]}")
    if max_rss_mb is not None and outcome.max_rss_mb > max_rss_mb:
        problems.append(f"peak memory {outcome.max_rss_mb:.0f} MB > {max_rss_mb:.0f} MB")
    return problems
