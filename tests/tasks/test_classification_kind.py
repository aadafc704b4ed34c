"""The classification task kind on tiny arrays, checked by value: claims, class counting and
names, targets, loss, decoding, selection, per-class scores and the confusion-matrix figure.

Fast (milliseconds each), so mutation testing reaches every method of tasks/classification.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from astrobench.errors import ConfigError
from astrobench.tasks.base import ClassOutput
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.predictions import Predictions

from .fake_cutouts import FakeCutouts


def test_classification_claims() -> None:
    cutouts = FakeCutouts(
        {
            "label": np.zeros(3, dtype=np.int64),
            "morph": np.arange(100) % 100,  # 100 distinct integers: still classes
            "ident": np.arange(101),  # 101: read as a regression target
            "flag": np.array([True, False]),
            "small_uint": np.array([0, 1, 2], dtype=np.uint8),
            "mag": np.array([1.0, 2.0]),
        }
    )
    claims = {n: ClassificationTask.claims(cutouts, (n,)) for n in cutouts.columns}  # type: ignore[arg-type]
    assert claims == {"label": 30, "morph": 10, "ident": 0, "flag": 10, "small_uint": 10, "mag": 0}
    assert ClassificationTask.claims(cutouts, ("label", "morph")) == 0  # type: ignore[arg-type]


def test_classification_from_file_counts_classes_and_names_them() -> None:
    cutouts = FakeCutouts(
        {"label": np.array([0, 2, -1, 1]), "morph": np.array([-1, 4, 1]), "none": [-1, -1]},
        label_names=["a", "b", "c", "d", "e"],
    )
    task = ClassificationTask.from_file(cutouts, ("label",), {})  # type: ignore[arg-type]
    assert task.n_classes == 5 and task.class_names == ("a", "b", "c", "d", "e")  # names win
    assert task.output == ClassOutput(5, ("a", "b", "c", "d", "e"))
    morph = ClassificationTask.from_file(cutouts, ("morph",), {"headline": "f1_macro"})  # type: ignore[arg-type]
    assert morph == ClassificationTask(("morph",), "f1_macro", n_classes=5, class_names=None)
    assert ClassificationTask.from_file(cutouts, ("none",), {}).n_classes == 0  # type: ignore[arg-type]
    unnamed = FakeCutouts({"label": np.array([0, 1, 2])})
    assert ClassificationTask.from_file(unnamed, ("label",), {}).n_classes == 3  # type: ignore[arg-type]
    short_names = FakeCutouts({"label": np.array([0, 3])}, label_names=["a", "b"])
    assert ClassificationTask.from_file(short_names, ("label",), {}).n_classes == 4  # type: ignore[arg-type]


def test_classification_from_file_refuses_unsuitable_columns() -> None:
    cutouts = FakeCutouts({"label": np.array([0, 1]), "mag": np.array([1.5, 2.5])})
    with pytest.raises(ConfigError, match="one column, got label,mag") as error:
        ClassificationTask.from_file(cutouts, ("label", "mag"), {})  # type: ignore[arg-type]
    assert error.value.hint == "name one integer column, e.g. --target label"
    with pytest.raises(ConfigError, match="'mag' holds float64 values, not class") as error:
        ClassificationTask.from_file(cutouts, ("mag",), {})  # type: ignore[arg-type]
    assert error.value.hint == "classify an integer column, or use --task regression"


def test_classification_targets_mask_strata_and_class_names() -> None:
    task = ClassificationTask(("label",), n_classes=3, class_names=("a", "b"))
    cutouts = FakeCutouts({"label": np.array([0, -1, 2], dtype=np.int32)})
    targets = task.read_targets(cutouts)  # type: ignore[arg-type]
    assert targets.dtype == np.int64
    np.testing.assert_array_equal(task.labelled_mask(targets), [True, False, True])
    strata = task.strata(np.array([2.0, 0.0, 1.0]))
    assert strata.dtype == np.int64
    np.testing.assert_array_equal(strata, [2, 0, 1])
    assert [task.class_name(i) for i in (-1, 0, 1, 2)] == ["-1", "a", "b", "2"]
    assert ClassificationTask(("label",), n_classes=2).class_name(1) == "1"


def test_classification_loss_is_weighted_and_smoothed_cross_entropy() -> None:
    task = ClassificationTask(("label",), n_classes=3)
    train = np.array([0, 0, 0, 1])  # class 2 absent
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [1.0, -1.0, 0.0]])
    target = torch.tensor([0, 1, 1])
    plain = task.make_loss(train, {})
    assert plain.class_weights is None and plain.label_smoothing == 0.0
    assert float(plain(logits, target)) == pytest.approx(
        float(torch.nn.functional.cross_entropy(logits, target))
    )
    balanced = task.make_loss(train, {"class_weights": "balanced", "label_smoothing": 0.1})
    # n / (K * count): 4 / (3 * 3), 4 / (3 * 1), 0 for the absent class
    np.testing.assert_allclose(balanced.class_weights.numpy(), [4 / 9, 4 / 3, 0.0], rtol=1e-6)
    assert balanced.label_smoothing == pytest.approx(0.1)
    given = task.make_loss(train, {"class_weights": [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(given.class_weights.numpy(), [1.0, 2.0, 3.0])


def test_classification_decoding_is_a_stable_softmax() -> None:
    task = ClassificationTask(("label",), n_classes=3)
    outputs = np.array([[1000.0, 999.0, 0.0], [0.0, 1.0, 3.0], [-2.0, -2.0, -1.0]])
    y_pred, probabilities = task.decode(outputs, None)
    expected = torch.softmax(torch.tensor(outputs), dim=1).numpy()
    assert probabilities is not None
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)
    np.testing.assert_array_equal(y_pred, [0, 2, 2])
    half = outputs.astype(np.float32) / 7  # float32 heads: decoded in double precision
    _, from_float32 = task.decode(half, None)
    assert from_float32 is not None and from_float32.dtype == np.float64
    exact = torch.softmax(torch.tensor(half, dtype=torch.float64), dim=1).numpy()
    np.testing.assert_allclose(from_float32, exact, rtol=1e-12)


def test_classification_selection_score_is_accuracy_per_grid_row() -> None:
    task = ClassificationTask(("label",), n_classes=3)
    y_true = np.array([0, 1, 2, 2])
    grid = np.array([[0, 1, 2, 2], [0, 0, 0, 2], [1, 0, 0, 0]])  # [G, n]
    np.testing.assert_allclose(task.selection_score(y_true, grid), [1.0, 0.5, 0.0])
    assert task.selection_score(y_true, grid[1]) == pytest.approx(0.5)


def test_classification_scores_name_classes_seen_only_in_predictions() -> None:
    task = ClassificationTask(("label",), n_classes=4, class_names=("a", "b", "c", "d"))
    y_true, y_pred = np.array([0, 0, 1]), np.array([0, 3, 1])
    scores = task.score(Predictions(y_true, y_pred))
    assert scores["f1/a"] == pytest.approx(2 / 3) and scores["f1/b"] == pytest.approx(1.0)
    assert scores["f1/d"] == 0.0 and "f1/c" not in scores  # c: neither true nor predicted


def test_classification_figure_is_the_confusion_matrix_of_every_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: dict[str, Any] = {}

    def fake_figure(confusion: np.ndarray, names: list[str], title: str) -> bytes:
        drawn.update(confusion=confusion, names=names, title=title)
        return b"png"

    monkeypatch.setattr("astrobench.tasks.figures.confusion_matrix_figure", fake_figure)
    task = ClassificationTask(("label",), n_classes=2, class_names=("s", "e"))
    y_true, y_pred = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2])
    (figure,) = task.figures(Predictions(y_true, y_pred), "gz", "linear probe")
    assert figure.png == b"png" and figure.slug == "confusion_gz"
    assert figure.caption == "gz: confusion matrix of the best model (linear probe)"
    assert drawn["title"] == figure.caption and drawn["names"] == ["s", "e", "2"]
    np.testing.assert_array_equal(drawn["confusion"], [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    wide = ClassificationTask(("label",), n_classes=4)
    wide.figures(Predictions(np.array([0, 1]), np.array([1, 1])), "x", "y")
    assert drawn["names"] == ["0", "1", "2", "3"] and drawn["confusion"].shape == (4, 4)
