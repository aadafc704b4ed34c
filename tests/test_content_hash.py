"""Identity by content: the sha256 of a file's bytes, cached by stat, never by path alone."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from astrobench import content_hash
from astrobench.content_hash import content_sha256


def _write(path: Path, data: bytes) -> None:
    with open(path, "r+b" if path.exists() else "wb") as handle:  # in place: same inode
        handle.write(data)


def test_digest_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 + 7)
    (tmp_path / "f").write_bytes(data)
    assert content_sha256(tmp_path / "f", tmp_path / "c.json") == hashlib.sha256(data).hexdigest()


def test_second_call_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    first = content_sha256(tmp_path / "f", tmp_path / "c.json")

    def must_not_read(path: object) -> str:
        raise AssertionError("recomputed a cached digest")

    monkeypatch.setattr(content_hash, "sha256_of_file", must_not_read)
    assert content_sha256(tmp_path / "f", tmp_path / "c.json") == first


def test_in_place_rewrite_with_same_size_and_restored_mtime_is_a_new_identity(
    tmp_path: Path,
) -> None:
    path, cache = tmp_path / "data.h5", tmp_path / "c.json"
    _write(path, b"labels: 0 1 2 3")
    before = path.stat()
    first = content_sha256(path, cache)
    _write(path, b"labels: 3 2 1 0")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # hide the rewrite from mtime
    assert path.stat().st_size == before.st_size
    second = content_sha256(path, cache)
    assert second != first
    assert second == hashlib.sha256(b"labels: 3 2 1 0").hexdigest()


def test_damaged_or_unwritable_cache_only_costs_a_recomputation(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"xyz")
    (tmp_path / "c.json").write_text("[not a dict")
    expected = hashlib.sha256(b"xyz").hexdigest()
    assert content_sha256(tmp_path / "f", tmp_path / "c.json") == expected
    assert expected in json.loads((tmp_path / "c.json").read_text()).values()
    assert content_sha256(tmp_path / "f", tmp_path / "f" / "c.json") == expected


def test_cache_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content_hash, "_MAX_ENTRIES", 3)
    for i in range(5):
        (tmp_path / f"f{i}").write_bytes(bytes([i]))
        content_sha256(tmp_path / f"f{i}", tmp_path / "c.json")
    kept = json.loads((tmp_path / "c.json").read_text())
    assert len(kept) == 3
    assert all("f0" not in key and "f1" not in key for key in kept)
