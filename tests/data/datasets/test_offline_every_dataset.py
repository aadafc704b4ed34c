"""Offline, `astrobench data get NAME` says in one line (exit 2) which URL to fetch and where to
put the file, for every registered dataset (README "Named public datasets")."""

from __future__ import annotations

from pathlib import Path

import pytest

from astrobench.registry import DATASETS


@pytest.mark.parametrize("name", DATASETS.names())
def test_offline_get_is_one_line_naming_url_and_destination(
    name: str, tmp_path: Path, offline, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path))
    first = DATASETS.get(name).resources[0]
    if first.url_env:
        monkeypatch.delenv(first.url_env, raising=False)
    code, out, err = run_cli("data", "get", name, "--root", tmp_path / "root")
    assert (code, out) == (2, "")
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert first.url in lines[0]  # which URL to fetch ...
    assert str(tmp_path / "root") in lines[0] and first.filename in lines[0]  # ... and where
    assert f"astrobench data get {name} --from PATH" in lines[0]
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing half-downloaded
