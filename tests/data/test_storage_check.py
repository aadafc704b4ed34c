"""Declared shapes are checked against what the file stores, and against the limits."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.data.storage_check import check_declared_storage, check_rows_dataset
from astrobench.errors import ConfigError, DataFormatError


def test_contiguous_dataset_that_stores_nothing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("big", shape=(10**9, 4), dtype="f4")  # contiguous, never written
        h5["small"] = np.ones((3, 4), np.float32)
    with h5py.File(path, "r") as h5:
        with pytest.raises(DataFormatError, match=r"/big declares 16,000,000,000 bytes"):
            check_declared_storage(h5["big"], path)
        check_declared_storage(h5["small"], path)


def test_fully_written_chunked_dataset_passes(tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", data=np.ones((10, 2, 4, 4), np.float32), chunks=(1, 2, 4, 4))
        partial = h5.create_dataset("y", shape=(10, 2), chunks=(1, 2), dtype="f4")
        partial[:9] = 1.0
    with h5py.File(path, "r") as h5:
        check_rows_dataset(h5["x"], path)
        with pytest.raises(DataFormatError, match="stores only 9 of its 10 chunks"):
            check_rows_dataset(h5["y"], path)


def test_limits_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as h5:
        h5["x"] = np.ones((50, 2, 4, 4), np.float32)
    with h5py.File(path, "r") as h5:
        monkeypatch.setenv("ASTROBENCH_MAX_OBJECTS", "49")
        with pytest.raises(DataFormatError, match="50 objects, more than the limit 49"):
            check_rows_dataset(h5["x"], path)
        monkeypatch.setenv("ASTROBENCH_MAX_OBJECTS", "50")
        monkeypatch.setenv("ASTROBENCH_MAX_OBJECT_BYTES", "127")
        with pytest.raises(DataFormatError, match="one object takes 128 bytes"):
            check_rows_dataset(h5["x"], path)
        monkeypatch.setenv("ASTROBENCH_MAX_OBJECT_BYTES", "lots")
        with pytest.raises(ConfigError, match="ASTROBENCH_MAX_OBJECT_BYTES must be a whole"):
            check_rows_dataset(h5["x"], path)
