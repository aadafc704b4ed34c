"""Atomic writes: the final name holds either the old or the complete new content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from astrobench.atomic import atomic_open, atomic_path, write_bytes_atomic, write_json_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_json_atomic_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "result.json"
    write_json_atomic(path, {"b": 1, "a": [1, 2]})
    assert json.loads(path.read_text()) == {"a": [1, 2], "b": 1}
    assert _leftovers(path.parent) == []


def test_failed_write_keeps_old_content_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    write_bytes_atomic(path, b"old")
    with pytest.raises(RuntimeError, match="killed"), atomic_open(path, "wb") as handle:
        handle.write(b"half of the new")
        raise RuntimeError("killed")
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_renames_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with atomic_path(path) as tmp:
        tmp.write_text("done")
        assert not path.exists()
        assert tmp.parent == tmp_path
    assert path.read_text() == "done"


def test_finished_files_get_the_usual_permissions_not_owner_only(tmp_path: Path) -> None:
    """mkstemp makes owner-only files; a finished file follows the umask like any other."""
    import os
    import stat

    mask = os.umask(0)
    os.umask(mask)
    write_json_atomic(tmp_path / "r.json", {"a": 1})
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o666 & ~mask
