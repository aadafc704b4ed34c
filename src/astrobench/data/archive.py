"""Safe extraction of downloaded archives (tar, tar.gz, tar.xz, zip, single-file gz).

Every member is checked before anything is written: absolute paths, `..` components, links that
point out of the folder, and device files raise UnsafeArchiveError. Extraction goes into a
temporary folder beside the destination, which is renamed only when every member is out, so a
killed extraction never leaves a folder that looks complete.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

from astrobench.atomic import atomic_path
from astrobench.errors import DataFormatError, UnsafeArchiveError

_CHUNK_BYTES = 1 << 20


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Whether `extract_archive` knows the file's format (by its name)."""
    name = Path(path).name.lower()
    return name.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".zip", ".gz"))


def extract_archive(archive: str | os.PathLike[str], destination: str | os.PathLike[str]) -> Path:
    """Extract `archive` into the folder `destination` (or gunzip a single `.gz` to that file).

    Args:
        archive: A .tar, .tar.gz/.tgz, .tar.xz, .zip or single-file .gz.
        destination: The folder to create (for a single .gz: the output file). It must not exist.

    Returns:
        `destination`, complete.
    """
    source, target = Path(archive), Path(destination)
    name = source.name.lower()
    if target.exists():
        raise DataFormatError(f"{target} already exists", "remove it first, or extract elsewhere")
    try:
        if name.endswith(".zip"):
            _into_folder(target, lambda tmp: _extract_zip(source, tmp))
        elif name.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz")):
            _into_folder(target, lambda tmp: _extract_tar(source, tmp))
        elif name.endswith(".gz"):
            _gunzip(source, target)
        else:
            raise DataFormatError(
                f"{source}: unknown archive type", "expected tar, tar.gz, zip or gz"
            )
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError) as exc:
        raise DataFormatError(
            f"{source}: damaged archive ({exc})",
            "download it again (the file is truncated or corrupt)",
        ) from exc
    return target


def _into_folder(target: Path, fill: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        fill(tmp)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _gunzip(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp, gzip.open(source, "rb") as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, _CHUNK_BYTES)


def _extract_tar(source: Path, folder: Path) -> None:
    with tarfile.open(source, "r:*") as tar:
        members = tar.getmembers()
        for member in members:
            check_tar_member(member, source)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, members=members, filter="data")
        else:  # Python < 3.11.4: every member was checked above
            tar.extractall(folder, members=members)


def _extract_zip(source: Path, folder: Path) -> None:
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            check_member_name(info.filename, source)
            mode = info.external_attr >> 16
            if (mode & 0o170000) == 0o120000:
                raise UnsafeArchiveError(
                    f"{source}: member {info.filename!r} is a symbolic link",
                    "links in zip archives are refused; extract it by hand if you trust it",
                )
        archive.extractall(folder)


def check_member_name(name: str, source: Path) -> None:
    """Refuse absolute paths and `..` components (POSIX or Windows spelling)."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if (
        posix.is_absolute()
        or windows.is_absolute()
        or windows.drive
        or name.startswith(("/", "\\"))
    ):
        raise UnsafeArchiveError(
            f"{source}: member {name!r} has an absolute path",
            "the archive is unsafe; do not use it",
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafeArchiveError(
            f"{source}: member {name!r} points outside the folder ('..')",
            "the archive is unsafe; do not use it",
        )


def check_tar_member(member: tarfile.TarInfo, source: Path) -> None:
    """Refuse unsafe names, links out of the folder, and device or fifo members."""
    check_member_name(member.name, source)
    if member.isdev():
        raise UnsafeArchiveError(
            f"{source}: member {member.name!r} is a device or fifo", "the archive is unsafe"
        )
    if member.issym() or member.islnk():
        # A symlink target is relative to the link's folder; a hard link's to the archive root.
        base = PurePosixPath(member.name).parent if member.issym() else PurePosixPath()
        if not _stays_inside(base, member.linkname):
            raise UnsafeArchiveError(
                f"{source}: link {member.name!r} -> {member.linkname!r} points outside the folder",
                "the archive is unsafe; do not use it",
            )


def _stays_inside(base: PurePosixPath, link: str) -> bool:
    if PurePosixPath(link).is_absolute() or PureWindowsPath(link).drive:
        return False
    depth = len(base.parts)
    for part in PurePosixPath(link).parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part != ".":
            depth += 1
    return True
