"""ProcessLocalCutouts: one handle per process, never pickled."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.process_local import ProcessLocalCutouts


def test_handle_is_reused_in_a_process_and_reopened_after_a_fork(
    small_cutouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = ProcessLocalCutouts(small_cutouts)
    first = handle.get()
    assert handle.get() is first
    monkeypatch.setattr("os.getpid", lambda: -12345)  # as if in a forked worker
    second = handle.get()
    assert second is not first
    with CutoutFile(small_cutouts) as direct:
        np.testing.assert_array_equal(second.read_image(1), direct.read_image(1))


def test_pickle_drops_the_open_file(small_cutouts: Path) -> None:
    handle = ProcessLocalCutouts(small_cutouts, nan_policy="mask")
    handle.get()
    copy = pickle.loads(pickle.dumps(handle))
    assert copy._file is None and copy.nan_policy == "mask"
    assert copy.get().read_image(0).shape == handle.get().read_image(0).shape
