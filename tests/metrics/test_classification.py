"""Classification metrics against scikit-learn and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from astrobench.metrics import classification as cm


@pytest.fixture
def random_predictions() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 5, 400)
    y_pred = np.where(
        rng.random(400) < 0.6, y_true, rng.integers(0, 6, 400)
    )  # class 5 only predicted
    return y_true, y_pred


def test_hand_computed_case() -> None:
    # true: 0 0 1 1 2 ; pred: 0 1 1 1 0
    # class 0: tp 1, fp 1, fn 1 -> P 1/2, R 1/2, F1 1/2
    # class 1: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 0.8
    # class 2: tp 0 -> P 0, R 0, F1 0
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    assert cm.accuracy(y_true, y_pred) == pytest.approx(3 / 5)
    assert cm.balanced_accuracy(y_true, y_pred) == pytest.approx((0.5 + 1 + 0) / 3)
    np.testing.assert_allclose(cm.per_class_f1(y_true, y_pred), [0.5, 0.8, 0.0])
    assert cm.f1_macro(y_true, y_pred) == pytest.approx(1.3 / 3)
    assert cm.f1_weighted(y_true, y_pred) == pytest.approx((2 * 0.5 + 2 * 0.8 + 0) / 5)
    assert cm.precision_macro(y_true, y_pred) == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert cm.recall_macro(y_true, y_pred) == pytest.approx(0.5)
    np.testing.assert_array_equal(
        cm.confusion_matrix(y_true, y_pred), [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    )


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_matches_scikit_learn(random_predictions: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_pred = random_predictions
    assert cm.accuracy(y_true, y_pred) == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert cm.balanced_accuracy(y_true, y_pred) == pytest.approx(
        sk.balanced_accuracy_score(y_true, y_pred)
    )
    for average, ours in (("macro", cm.f1_macro), ("weighted", cm.f1_weighted)):
        assert ours(y_true, y_pred) == pytest.approx(
            sk.f1_score(y_true, y_pred, average=average, zero_division=0)
        )
    assert cm.precision_macro(y_true, y_pred) == pytest.approx(
        sk.precision_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert cm.recall_macro(y_true, y_pred) == pytest.approx(
        sk.recall_score(y_true, y_pred, average="macro", zero_division=0)
    )
    np.testing.assert_allclose(
        cm.per_class_f1(y_true, y_pred), sk.f1_score(y_true, y_pred, average=None, zero_division=0)
    )
    np.testing.assert_array_equal(
        cm.confusion_matrix(y_true, y_pred), sk.confusion_matrix(y_true, y_pred)
    )


def test_explicit_labels_match_scikit_learn(
    random_predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    y_true, y_pred = random_predictions
    labels = [4, 0, 2, 7]  # unordered, with a class that never occurs
    np.testing.assert_array_equal(
        cm.confusion_matrix(y_true, y_pred, labels),
        sk.confusion_matrix(y_true, y_pred, labels=labels),
    )
    assert cm.f1_macro(y_true, y_pred, labels) == pytest.approx(
        sk.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )


def test_log_loss_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), 50)
    y_true = rng.integers(0, 4, 50)
    assert cm.log_loss(y_true, probs) == pytest.approx(
        sk.log_loss(y_true, probs, labels=[0, 1, 2, 3]), rel=1e-9
    )


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="entries"):
        cm.accuracy(np.zeros(3), np.zeros(4))


def test_empty_predictions_and_bad_probabilities_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^cannot score an empty set of predictions$"):
        cm.accuracy(np.array([], dtype=int), np.array([], dtype=int))
    with pytest.raises(ValueError, match=r"probabilities must be \[3, n_classes\], got \(3,\)"):
        cm.log_loss(np.array([0, 1, 1]), np.array([0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match=r"must be \[3, n_classes\], got \(2, 2\)"):
        cm.log_loss(np.array([0, 1, 1]), np.full((2, 2), 0.5))


def test_empty_label_list_gives_an_empty_matrix() -> None:
    matrix = cm.confusion_matrix(np.array([0, 1]), np.array([1, 1]), labels=[])
    assert matrix.shape == (0, 0)
    assert cm.per_class_f1(np.array([0, 1]), np.array([1, 1]), labels=[]).shape == (0,)


def test_log_loss_renormalises_rows_and_clips_zeros() -> None:
    probs = np.array([[2.0, 2.0], [0.0, 1.0]])  # rows renormalised to 0.5/0.5 and 0/1
    expected = -(np.log(0.5) + np.log(1.0 / (1.0 + 1e-12))) / 2
    assert cm.log_loss(np.array([0, 1]), probs) == pytest.approx(expected)
    assert np.isfinite(cm.log_loss(np.array([0]), np.array([[0.0, 1.0]])))  # clipped, not inf


def test_log_loss_is_computed_in_float64_whatever_the_input_dtype() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=50)  # [50, 3]
    y_true = rng.integers(0, 3, 50)
    as_float32 = probs.astype(np.float32)
    expected = -np.mean(np.log(as_float32.astype(np.float64)[np.arange(50), y_true]
                               / as_float32.astype(np.float64).sum(axis=1)))  # fmt: skip
    assert cm.log_loss(y_true, as_float32) == pytest.approx(expected, rel=1e-12, abs=0)


def test_confusion_matrix_counts_are_integers() -> None:
    matrix = cm.confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
    assert matrix.dtype == np.int64 and matrix.tolist() == [[1, 0], [1, 1]]


def test_weighted_f1_with_labels_leaving_classes_out_matches_scikit_learn(
    random_predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    import warnings

    y_true, y_pred = random_predictions
    labels = [0, 2]  # classes 1, 3, ... are present but not scored
    assert cm.f1_weighted(y_true, y_pred, labels) == pytest.approx(
        sk.f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
    )
    assert cm.f1_weighted(np.array([1]), np.array([1])) == 1.0  # one object, right
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0
        assert cm.f1_weighted(np.array([0, 0]), np.array([0, 1]), labels=[5]) == 0.0


def test_macro_precision_and_recall_average_over_the_given_labels(
    random_predictions: tuple[np.ndarray, np.ndarray],
) -> None:
    y_true, y_pred = random_predictions
    labels = [4, 0, 2, 7]  # unordered, with a class that never occurs
    assert cm.precision_macro(y_true, y_pred, labels) == pytest.approx(
        sk.precision_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )
    assert cm.recall_macro(y_true, y_pred, labels) == pytest.approx(
        sk.recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    )
