"""Disk full and read-only folders become one line naming the folder and the space needed.

Writers call `require_free_space` before a large write they can size (a cutout file of N
objects), and turn an OSError from a failed write into a StorageError with `storage_error`.
HDF5 and SQLite report these failures in their own words, so the errno is also recognised in
the message text.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from astrobench.errors import StorageError

Failure = Literal["full", "read-only"]
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_WORDS = (
    "no space left",
    "errno = 28",
    "errno = 27",
    "file too large",
    "disk quota",
    "database or disk is full",
    "disk i/o error",  # SQLite's word for a failed write (EFBIG, ENOSPC mid-transaction)
)
_READ_ONLY_WORDS = (
    "read-only file system",
    "errno = 30",
    "errno = 13",
    "permission denied",
    "readonly database",
)


def storage_failure(exc: BaseException | None) -> Failure | None:
    """ "full" or "read-only" when `exc` (or an exception it was raised from) is one, else None."""
    seen = 0
    while exc is not None and seen < 8:
        number = getattr(exc, "errno", None)
        text = str(exc).lower()
        if number in _FULL_ERRNOS or any(word in text for word in _FULL_WORDS):
            return "full"
        if number in _READ_ONLY_ERRNOS or any(word in text for word in _READ_ONLY_WORDS):
            return "read-only"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def free_bytes(folder: str | os.PathLike[str]) -> int | None:
    """Bytes one new file in `folder` can take: the file system's free space, capped by the
    process's file size limit (`ulimit -f`)."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        free = int(shutil.disk_usage(path).free)
    except OSError:
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return free if limit == resource.RLIM_INFINITY else min(free, int(limit))


def room_for_file(path: str | os.PathLike[str]) -> int | None:
    """Bytes the (existing or new) file `path` can still grow by: its folder's free space,
    capped by what the file size limit leaves above its current size."""
    file = Path(path)
    free = free_bytes(file.parent)
    if free is None:
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit == resource.RLIM_INFINITY:
        return free
    size = file.stat().st_size if file.exists() else 0
    return max(0, min(free, int(limit) - size))


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def storage_error(
    exc: BaseException, folder: str | os.PathLike[str], needed_bytes: int | None = None
) -> StorageError:
    """The one-line StorageError for a failed write into `folder`."""
    where = Path(folder)
    if storage_failure(exc) == "read-only":
        return StorageError(
            f"cannot write into {where}: read-only or no permission",
            "choose a writable output folder (--out), or fix its permissions",
        )
    free = free_bytes(where)
    need = f"needs at least {human_bytes(needed_bytes)}" if needed_bytes else "needs more space"
    have = f", {human_bytes(free)} free" if free is not None else ""
    return StorageError(
        f"disk full writing into {where} ({need}{have}); nothing was kept of the failed file",
        "free space there or choose another output folder",
    )


def require_free_space(folder: str | os.PathLike[str], needed_bytes: int, what: str) -> None:
    """Raise StorageError before writing when `folder`'s file system has too little room."""
    free = free_bytes(folder)
    if free is not None and needed_bytes > free:
        raise StorageError(
            f"{what} needs {human_bytes(needed_bytes)} in {folder} but only "
            f"{human_bytes(free)} are free",
            "free space there, choose another output folder, or write fewer objects",
        )


def require_writable(folder: str | os.PathLike[str]) -> None:
    """Create `folder` if needed and check a file can be made in it; StorageError if not."""
    where = Path(folder)
    try:
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        if storage_failure(exc) is None and not isinstance(
            exc, (FileExistsError, NotADirectoryError)
        ):
            raise
        raise StorageError(
            f"cannot write into {where} ({exc.strerror or exc})",
            "choose a writable output folder (--out), or fix its permissions",
        ) from exc
