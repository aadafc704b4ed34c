"""Faults that need a real process: declared-size bombs under a memory cap, disk full (a small
tmpfs in a mount namespace, or RLIMIT_FSIZE), read-only folders, a locked --out, and workers
that must die with their parent."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.adversarial import hostile_files as hf
from tests.adversarial.harness import (
    SRC,
    check_rule,
    child_env,
    run_in_process,
    run_in_subprocess,
    snapshot,
)

ROOT = SRC.parent
BOMB_MEMORY_CAP_MB = 500
GET_FROM_ORIGINAL = [
    *("data", "get", "galaxy10-decals", "--no-verify"),
    *("--root", "out", "--from", "Galaxy10_DECals.h5"),
]


def _one_error_line(stderr: str, fragment: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "info", "bomb.h5"],
        ["data", "validate", "bomb.h5"],
        ["embed", "--backbone", "vit_tiny_p8", "--data", "bomb.h5"],
        ["data", "get", "galaxy10-decals", "--from", "g10.h5", "--no-verify", "--root", "ds"],
    ],
    ids=["info", "validate", "embed", "get-from"],
)
def test_file_declaring_a_billion_images_is_refused_in_bounded_memory(
    argv: list[str], tmp_path: Path
) -> None:
    hf.declared_bomb(tmp_path / "bomb.h5")
    hf.galaxy10_bomb(tmp_path / "g10.h5")
    assert (tmp_path / "bomb.h5").stat().st_size < 200_000
    before = snapshot(tmp_path)
    outcome = run_in_subprocess(argv, tmp_path, child_env(tmp_path / "home"), timeout_s=120)
    problems = check_rule(
        outcome, before, snapshot(tmp_path), ("home", "ds"), max_rss_mb=BOMB_MEMORY_CAP_MB
    )
    assert not problems, problems
    assert outcome.code == 2
    _one_error_line(outcome.stderr, "1,000,000,000 chunks")


# --- disk full: a real, small tmpfs in a private mount namespace ------------------------------


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(not _can_mount_tmpfs(), reason="no mount namespaces here")


def _in_small_tmpfs(
    tmp_path: Path, argv: list[str], size: str, read_only: bool = False
) -> tuple[int, str, list[str], str]:
    """Run `astrobench ARGV` with tmp/out a fresh tmpfs of `size` (holding earlier.txt).

    Returns (exit code, stderr, files left in out, earlier.txt's content afterwards).
    """
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "astrobench", *argv])
    remount = f"mount -o remount,ro {out}" if read_only else "true"
    script = textwrap.dedent(
        f"""
        mount -t tmpfs -o size={size} tmpfs {out} || exit 99
        echo 'kept' > {out}/earlier.txt
        {remount}
        {command} 2> {tmp_path}/stderr.txt
        echo $? > {tmp_path}/rc.txt
        (cd {out} && find . -type f | sort) > {tmp_path}/left.txt
        cat {out}/earlier.txt > {tmp_path}/earlier_after.txt
        """
    )
    env = child_env(tmp_path / "home")
    subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env, cwd=tmp_path, check=True)
    left = (tmp_path / "left.txt").read_text().split()
    return (
        int((tmp_path / "rc.txt").read_text()),
        (tmp_path / "stderr.txt").read_text(),
        left,
        (tmp_path / "earlier_after.txt").read_text(),
    )


@needs_tmpfs
def test_disk_full_during_synth_exits_2_and_keeps_earlier_files(tmp_path: Path) -> None:
    code, stderr, left, earlier = _in_small_tmpfs(
        tmp_path, ["data", "synth", "--n", "400", "--no-spectra", "--out", "out/s.h5"], "300k"
    )
    assert code == 2
    _one_error_line(stderr, "out")
    assert "free" in stderr
    assert left == ["./earlier.txt"] and earlier == "kept\n"


@needs_tmpfs
def test_disk_full_during_data_get_exits_2(tmp_path: Path) -> None:
    _galaxy10_original(tmp_path / "Galaxy10_DECals.h5", n=40)
    code, stderr, left, earlier = _in_small_tmpfs(
        tmp_path,
        GET_FROM_ORIGINAL,
        "200k",
    )
    assert code == 2
    _one_error_line(stderr, "out/galaxy10-decals")
    assert left == ["./earlier.txt"] and earlier == "kept\n"


@needs_tmpfs
def test_read_only_output_folder_is_one_line(tmp_path: Path) -> None:
    _galaxy10_original(tmp_path / "Galaxy10_DECals.h5", n=4)
    code, stderr, left, earlier = _in_small_tmpfs(tmp_path, GET_FROM_ORIGINAL, "1m", read_only=True)
    assert code == 2
    _one_error_line(stderr, "read-only")
    assert left == ["./earlier.txt"] and earlier == "kept\n"


def test_writer_filling_the_disk_while_appending_removes_its_temp_without_crashing(
    tmp_path: Path,
) -> None:
    """No up-front size: the room left is checked before each block reaches HDF5."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        import numpy as np
        from astrobench.data.cutout_writer import CutoutWriter
        from astrobench.errors import StorageError
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, resource.RLIM_INFINITY))
        writer = CutoutWriter({str(tmp_path / "c.h5")!r}, bands=["g"], image_size=(32, 32),
                              pixel_scale_arcsec=0.2)
        try:
            with writer:
                for start in range(0, 400, 20):
                    block = np.ones((20, 1, 32, 32), np.float32)
                    writer.append(block, {{"object_id": np.arange(20)}})
        except StorageError as error:
            print(error.one_line(), file=sys.stderr)
            sys.exit(2)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=child_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    _one_error_line("error: " + done.stderr, "disk full writing into")
    assert list(tmp_path.iterdir()) == []  # no temporary file, no half-written file


# --- disk full in pretrain, finetune and bench: RLIMIT_FSIZE on this process -------------------


@contextlib.contextmanager
def file_size_limit(n_bytes: int) -> Iterator[None]:
    """Every file this process writes is capped at `n_bytes` within the block (EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _train_argv(kind: str, data: str) -> list[str]:
    common = ["--data", data, "--epochs", "1", "--batch-size", "8", "--out", "out"]
    if kind == "pretrain":
        return ["pretrain", "mae", *common, "--arch", "vit_tiny", "--patch", "8", "--device", "cpu"]
    if kind == "finetune":
        return ["finetune", "--backbone", "vit_tiny_p8", "--target", "label", *common]
    return ["bench", "suite.yaml", "--out", "out", "--quiet"]


@pytest.mark.parametrize("kind", ["pretrain", "finetune", "bench"])
def test_disk_full_while_training_or_benchmarking_exits_2(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    data = hf.valid_cutouts(tmp_path / "data.h5", n=48)
    hf.suite_file(tmp_path / "suite.yaml", data)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "earlier.txt").write_text("kept")
    before = snapshot(tmp_path)
    with file_size_limit(20_000):  # JSON fits, checkpoints and embeddings do not
        outcome = run_in_process(_train_argv(kind, str(data)), tmp_path)
    problems = check_rule(outcome, before, snapshot(tmp_path), ("home", "out"), allowed_codes=(2,))
    assert not problems, f"{problems}: {outcome.stderr}"
    _one_error_line(outcome.stderr, "disk full writing into")
    assert (tmp_path / "out" / "earlier.txt").read_text() == "kept"


# --- one writer per --out, and workers that die with their parent -----------------------------


def test_second_writer_on_a_locked_out_folder_gets_one_line(tmp_path: Path) -> None:
    hf.suite_file(tmp_path / "suite.yaml", hf.valid_cutouts(tmp_path / "data.h5"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from astrobench.out_lock import locked_output\n"
            f"with locked_output({str(tmp_path / 'out')!r}, 'bench'):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        env=child_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        outcome = run_in_process(["bench", "suite.yaml", "--out", "out"], tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert outcome.code == 2
    _one_error_line(outcome.stderr, f"pid {holder.pid}: bench")
    assert not (tmp_path / "out" / "results.sqlite").exists()
    after = run_in_process(["data", "info", "data.h5"], tmp_path)  # the lock died with it
    assert after.code == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        return state != "Z"
    return True


def test_bench_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from functools import partial\n"
            "from astrobench.bench.runner import _execute_pool\n"
            "from tests.adversarial.workers import record_pid_and_sleep\n"
            f"cell = partial(record_pid_and_sleep, {str(tmp_path)!r})\n"
            "list(_execute_pool([1, 2], 2, cell))",
        ],
        env=child_env(tmp_path / "home", PYTHONPATH=f"{SRC}:{ROOT}"),
    )
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p.read_text()) for p in tmp_path.glob("worker-*")]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "workers outlived their killed parent"


def _galaxy10_original(path: Path, n: int) -> Path:
    """A small file in the original Galaxy10 DECaLS layout (uint8 NHWC images, `ans`)."""
    import h5py

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as h5:
        h5["images"] = rng.integers(0, 255, (n, 64, 64, 3), dtype=np.uint8)
        h5["ans"] = (np.arange(n) % 10).astype(np.uint8)
        h5["redshift"] = rng.uniform(0, 0.3, n)
    return path
