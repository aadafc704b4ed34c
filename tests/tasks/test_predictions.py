"""The predictions container: round trips, ragged rows, resampling, old files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.errors import DataFormatError
from astrobench.tasks.predictions import Predictions, Ragged, stored_task


def test_round_trip_keeps_every_array_and_the_task(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    boxes = Ragged(rng.normal(size=(5, 4)), np.array([0, 2, 2, 5]))
    original = Predictions(
        y_true=np.arange(3),
        y_pred=np.array([0, 2, 2]),
        probabilities=rng.random((3, 3)),
        samples=rng.normal(size=(3, 7, 2)),
        indices=np.array([10, 4, 8]),
        ragged={"boxes": boxes},
        extra={"scores": rng.random(3)},
    )
    path = original.save(tmp_path / "p.npz", task={"kind": "classification", "columns": ["label"]})
    loaded = Predictions.load(path)
    for name in ("y_true", "y_pred", "probabilities", "samples", "indices"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(original, name))
    np.testing.assert_array_equal(loaded.ragged["boxes"].row(2), boxes.values[2:5])
    assert len(loaded.ragged["boxes"].row(1)) == 0
    np.testing.assert_array_equal(loaded.extra["scores"], original.extra["scores"])
    assert stored_task(path) == {"kind": "classification", "columns": ["label"]}


def test_take_resamples_ragged_rows_with_their_objects() -> None:
    boxes = Ragged(np.arange(10.0).reshape(5, 2), np.array([0, 1, 3, 5]))
    predictions = Predictions(np.arange(3), np.arange(3), ragged={"boxes": boxes})
    picked = predictions.take(np.array([2, 2, 0]))
    np.testing.assert_array_equal(picked.y_true, [2, 2, 0])
    np.testing.assert_array_equal(picked.ragged["boxes"].offsets, [0, 2, 4, 5])
    np.testing.assert_array_equal(picked.ragged["boxes"].values[:2], boxes.row(2))


def test_format_1_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    np.savez(path, y_true=np.array([0.1, 0.2]), y_pred=np.array([0.1, 0.3]), test_indices=[3, 4])
    loaded = Predictions.load(path)
    np.testing.assert_array_equal(loaded.indices, [3, 4])
    assert loaded.probabilities is None and loaded.samples is None and not loaded.ragged
    assert stored_task(path) is None


@pytest.mark.parametrize("offsets", [[1, 2], [0, 3, 2], [0, 1]])
def test_bad_offsets_are_refused(offsets: list[int]) -> None:
    with pytest.raises(DataFormatError, match="ragged offsets"):
        Ragged(np.zeros((2, 4)), np.array(offsets))
