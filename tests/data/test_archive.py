"""Archive extraction: refuses members that would land outside the folder; atomic result."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from astrobench.data.archive import extract_archive
from astrobench.errors import DataFormatError, UnsafeArchiveError


def _tar(path: Path, members: list[tarfile.TarInfo], data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_normal_tar_with_folders_and_inner_link(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "ok.tar.gz",
        [_file("images/587722/1.jpg"), _file("images/2.jpg"), _link("images/latest.jpg", "2.jpg")],
    )
    out = extract_archive(archive, tmp_path / "out")
    assert (out / "images" / "587722" / "1.jpg").read_bytes() == b"x"
    assert (out / "images" / "latest.jpg").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.tar.gz", "out"]


@pytest.mark.parametrize(
    "member",
    [
        _file("../evil"),
        _file("images/../../evil"),
        _file("/tmp/evil_absolute"),
        _link("images/passwd", "../../etc/passwd"),
        _link("images/abs", "/etc/passwd"),
        _link("images/hard", "../outside", kind=tarfile.LNKTYPE),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "symlink-absolute", "hardlink-out"],
)
def test_unsafe_tar_is_refused_and_nothing_is_written(
    member: tarfile.TarInfo, tmp_path: Path
) -> None:
    archive = _tar(tmp_path / "evil.tar.gz", [_file("images/fine.jpg"), member])
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(UnsafeArchiveError, match=r"evil\.tar\.gz"):
        extract_archive(archive, work / "out")
    assert list(work.iterdir()) == []  # neither the folder nor its temporary remains
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil_absolute").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "..\\evil.txt", "C:/evil.txt"])
def test_unsafe_zip_is_refused(name: str, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        zf.writestr(zipfile.ZipInfo(name), "bad")
    with pytest.raises(UnsafeArchiveError, match=r"has an absolute path|points outside the folder"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_zip_and_single_gz(tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/b.txt", "hello")
    assert (extract_archive(archive, tmp_path / "z") / "a" / "b.txt").read_text() == "hello"
    gz = tmp_path / "data.hdf5.gz"
    gz.write_bytes(gzip.compress(b"payload"))
    assert extract_archive(gz, tmp_path / "data.hdf5").read_bytes() == b"payload"


def test_truncated_archive_is_a_data_error(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "ok.tar.gz", [_file(f"f{i}") for i in range(50)], data=b"y" * 5000)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="damaged archive"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(b"z" * 10000)[:20])
    with pytest.raises(DataFormatError, match="damaged archive"):
        extract_archive(gz, tmp_path / "x")
    assert not (tmp_path / "x").exists()
