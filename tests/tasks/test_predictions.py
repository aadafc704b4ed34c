"""The predictions container: round trips, ragged rows, resampling, old files."""

from __future__ import annotations

import json
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


def test_ragged_length_rows_and_an_empty_take() -> None:
    ragged = Ragged(np.arange(6.0).reshape(3, 2), np.array([0, 0, 1, 3], dtype=np.int32))
    assert len(ragged) == 3 and ragged.offsets.dtype == np.int64
    np.testing.assert_array_equal(ragged.row(2), [[2.0, 3.0], [4.0, 5.0]])
    assert ragged.row(0).shape == (0, 2)
    empty = ragged.take(np.array([], dtype=np.int64))
    assert len(empty) == 0 and empty.values.shape == (0, 2)
    np.testing.assert_array_equal(empty.offsets, [0])
    again = ragged.take(np.array([1, 0, 1]))
    np.testing.assert_array_equal(again.offsets, [0, 1, 1, 2])
    np.testing.assert_array_equal(again.values, [[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(DataFormatError, match="end at 3") as error:
        Ragged(np.zeros((3, 2)), np.zeros((2, 2), dtype=np.int64))  # offsets must be 1-D
    assert error.value.hint == "build offsets as np.concatenate([[0], np.cumsum(counts)])"
    with pytest.raises(DataFormatError, match="ragged offsets"):
        Ragged(np.zeros((0, 2)), np.array([], dtype=np.int64))  # not even offsets[0]


def test_take_picks_every_per_object_array_and_keeps_absent_ones_absent() -> None:
    rng = np.random.default_rng(1)
    full = Predictions(
        np.arange(4.0),
        np.arange(4.0) + 1,
        probabilities=rng.random((4, 3)),
        samples=rng.random((4, 5, 1)),
        indices=np.array([40, 10, 30, 20]),
        extra={"log_density": np.array([0.1, 0.2, 0.3, 0.4])},
    )
    rows = np.array([3, 3, 1])
    picked = full.take(rows)
    assert len(picked) == 3
    np.testing.assert_array_equal(picked.y_pred, [4.0, 4.0, 2.0])
    assert full.probabilities is not None and full.samples is not None
    np.testing.assert_array_equal(picked.probabilities, full.probabilities[rows])
    np.testing.assert_array_equal(picked.samples, full.samples[rows])
    np.testing.assert_array_equal(picked.indices, [20, 20, 10])
    np.testing.assert_array_equal(picked.extra["log_density"], [0.4, 0.4, 0.2])
    bare = Predictions(np.arange(4.0), np.arange(4.0)).take(rows)
    assert bare.probabilities is None and bare.samples is None and bare.indices is None
    assert bare.ragged == {} and bare.extra == {}


def test_saved_file_holds_exactly_the_arrays_given(tmp_path: Path) -> None:
    boxes = Ragged(np.ones((3, 4)), np.array([0, 3, 3]))
    cells = Ragged(np.ones((1, 2)), np.array([0, 0, 1]))
    path = Predictions(
        np.array([1.0, 2.0]),
        np.array([1.5, 2.5]),
        ragged={"cells": cells, "boxes": boxes},
        extra={"w": np.array([3.0, 4.0])},
    ).save(tmp_path / "deep" / "er" / "p.npz")
    assert path == tmp_path / "deep" / "er" / "p.npz"
    assert sorted(p.name for p in path.parent.iterdir()) == ["p.npz"]  # no temporary left
    with np.load(path) as stored:
        assert sorted(stored.files) == sorted(
            ["y_true", "y_pred", "boxes", "boxes_offsets", "cells", "cells_offsets", "extra_w",
             "meta"]
        )  # fmt: skip
        meta = json.loads(str(stored["meta"]))
    assert meta == {"format": 2, "task": None, "ragged": ["boxes", "cells"]}
    loaded = Predictions.load(path)
    assert loaded.probabilities is None and loaded.samples is None and loaded.indices is None
    assert sorted(loaded.ragged) == ["boxes", "cells"] and list(loaded.extra) == ["w"]
    np.testing.assert_array_equal(loaded.ragged["cells"].offsets, [0, 0, 1])
    np.testing.assert_array_equal(loaded.extra["w"], [3.0, 4.0])
    assert stored_task(path) is None  # saved without a task description


def test_an_unreadable_predictions_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip file at all")
    with pytest.raises(DataFormatError, match=r"broken\.npz: not a readable predictions file") as e:
        Predictions.load(path)
    assert e.value.hint == "re-run the cell"
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, y_true=np.array([{"a": 1}], dtype=object), y_pred=np.zeros(1))
    with pytest.raises(DataFormatError, match="not a readable predictions file"):
        Predictions.load(pickled)


def test_no_pickle_is_ever_loaded(tmp_path: Path) -> None:
    """An object array (a pickle, which could run code) is refused, the task meta included."""
    path = tmp_path / "pickled_meta.npz"
    np.savez(
        path, y_true=np.zeros(1), y_pred=np.zeros(1), meta=np.array([{"task": 1}], dtype=object)
    )
    with pytest.raises(ValueError, match="allow_pickle=False"):
        stored_task(path)
    with pytest.raises(DataFormatError, match="not a readable predictions file"):
        Predictions.load(path)


def test_a_task_description_with_non_json_values_is_stored_as_text(tmp_path: Path) -> None:
    task = {"kind": "regression", "source": tmp_path / "cat.h5", "scale": np.float32(0.5)}
    path = Predictions(np.zeros(2), np.zeros(2)).save(tmp_path / "p.npz", task=task)
    assert stored_task(path) == {
        "kind": "regression",
        "source": str(tmp_path / "cat.h5"),
        "scale": "0.5",
    }
