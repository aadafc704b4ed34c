"""Disk full and read-only failures are recognised (errno or library wording) and named."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from astrobench import disk
from astrobench.disk import human_bytes, require_free_space, storage_error, storage_failure
from astrobench.errors import StorageError


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (OSError(errno.EFBIG, "File too large"), "full"),
        (OSError("Can't write data (file write failed: errno = 28, error message = ...)"), "full"),
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "read-only"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (OSError(errno.ENOENT, "No such file or directory"), None),
        (ValueError("bad value"), None),
    ],
)
def test_failures_are_classified(exc: BaseException, kind: str | None) -> None:
    assert storage_failure(exc) == kind


def test_cause_chain_is_followed() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "full")
        except OSError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert storage_failure(outer) == "full"


def test_error_names_folder_needed_and_free(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(disk, "free_bytes", lambda folder: 1024)
    error = storage_error(OSError(errno.ENOSPC, "full"), tmp_path, needed_bytes=3 * 1024**2)
    assert str(tmp_path) in error.one_line()
    assert "needs at least 3.0 MiB" in error.one_line() and "1.0 KiB free" in error.one_line()
    read_only = storage_error(OSError(errno.EROFS, "ro"), tmp_path)
    assert "read-only" in read_only.one_line()


def test_free_space_is_checked_before_writing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(disk, "free_bytes", lambda folder: 10 * 1024**2)
    require_free_space(tmp_path, 9 * 1024**2, "x.h5")
    with pytest.raises(StorageError, match=r"x.h5 needs 20.0 MiB .* only 10.0 MiB are free"):
        require_free_space(tmp_path, 20 * 1024**2, "x.h5")


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(5 * 1024**4) == "5.0 TiB"
