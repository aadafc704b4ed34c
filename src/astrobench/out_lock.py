"""One writer per output folder: `DIR/.astrobench.lock`, held with flock while a command writes.

Two `bench` runs on one --out would interleave rows and race on shared artefacts; two
`finetune` runs would overwrite each other's checkpoints. The second one gets one line and exit
code 2. The lock is an OS lock (fcntl.flock): it goes away with its process, even after SIGKILL,
so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from astrobench.disk import require_writable
from astrobench.errors import OutputLockedError

LOCK_FILE = ".astrobench.lock"
_held: set[Path] = set()


@contextlib.contextmanager
def locked_output(folder: str | os.PathLike[str], command: str) -> Iterator[Path]:
    """Hold the lock of `folder` (created if needed) for the block; re-entrant in one process.

    Raises:
        OutputLockedError: another process holds it.
        StorageError: the folder cannot be created or written.
    """
    where = Path(folder).absolute()
    rank = os.environ.get("RANK", "0").strip() or "0"
    if where in _held or rank != "0":  # held already by this process, or by rank 0 (torchrun)
        yield where
        return
    require_writable(where)
    descriptor = os.open(where / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "unknown"
            raise OutputLockedError(
                f"{where} is being written by another astrobench command ({holder})",
                "wait for it to finish, or use another --out folder",
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()}: {command}\n".encode(), 0)
        _held.add(where)
        try:
            yield where
        finally:
            _held.discard(where)
    finally:
        os.close(descriptor)  # closing releases the flock
