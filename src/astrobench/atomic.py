"""Atomic file writes: a temporary file in the same folder, fsync, then os.replace.

A reader never sees a half-written file under the final name: either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from astrobench.disk import storage_error, storage_failure


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by their owner only; finished outputs (cutout files, reports,
# encoders) should get the usual permissions, so colleagues sharing a folder can read them.
_FILE_MODE = 0o666 & ~_current_umask()


def temporary_path_for(path: Path) -> Path:
    """A fresh, unique temporary name beside `path` (same folder, so os.replace is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _FILE_MODE)
    os.close(fd)
    return Path(name)


def fsync_path(path: Path) -> None:
    """Flush a finished file's bytes to disk."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    """Flush a folder entry (so a rename survives a power cut); a no-op where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit_temporary(tmp: Path, path: Path) -> None:
    """fsync `tmp` and rename it over `path`."""
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes `path`, on error it is removed."""
    final = Path(path)
    try:
        tmp = temporary_path_for(final)
    except OSError as exc:
        if storage_failure(exc) is None:
            raise
        raise storage_error(exc, final.parent) from exc
    try:
        yield tmp
        commit_temporary(tmp, final)
    except OSError as exc:
        written = tmp.stat().st_size if tmp.exists() else 0
        tmp.unlink(missing_ok=True)
        if storage_failure(exc) is None:
            raise
        raise storage_error(exc, final.parent, needed_bytes=written or None) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces `path` only when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode) as handle:
        yield handle


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write `obj` as indented JSON, atomically."""
    with atomic_open(path, "w") as handle:
        json.dump(obj, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write raw bytes atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
