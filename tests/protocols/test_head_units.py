"""The head-fitting functions of the frozen protocols on tiny arrays, checked by value.

Fast (milliseconds each), so mutation testing reaches knn.py, linear.py and mlp.py without
running whole protocols; values come from scikit-learn or from direct NumPy computations.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge

from astrobench.protocols import knn, linear, mlp
from astrobench.protocols.frozen import FrozenSplit, select_cell
from astrobench.protocols.frozen_inputs import FrozenInputs, inputs_from_arrays
from astrobench.protocols.knn import KnnSettings, fit_knn
from astrobench.protocols.linear import LinearSettings, fit_linear, fit_ridge_grid
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.regression import RegressionTask

CLASSES = ClassificationTask(("label",), n_classes=3, class_names=("a", "b", "c"))
VALUES = RegressionTask(("m",))


def test_ridge_of_several_columns_matches_scikit_learn_in_double_precision() -> None:
    """float32 features far from zero with a small spread (eigenvalues of XᵀX below 1) and
    float32 targets with a large offset: only a float64 solve that keeps every eigenvalue
    matches scikit-learn to 1e-6."""
    rng = np.random.default_rng(0)
    x = (100.0 + 0.01 * rng.normal(size=(40, 3))).astype(np.float32)  # [n, D]
    y = (1000.0 + rng.normal(size=(40, 2)) + 50.0 * (x[:, :2] - 100.0)).astype(np.float32)
    alphas = (1e-4, 0.5)
    coefs, intercepts = fit_ridge_grid(x, y, alphas)  # [G, D, T], [G, T]
    assert coefs.shape == (2, 3, 2) and intercepts.shape == (2, 2)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    for g, alpha in enumerate(alphas):
        reference = Ridge(alpha=alpha, solver="svd").fit(x64, y64)
        np.testing.assert_allclose(coefs[g], reference.coef_.T, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(intercepts[g], reference.intercept_, rtol=1e-9)
    one, one_intercept = fit_ridge_grid(x, y[:, 1], alphas)  # [n] targets: [G, D], [G]
    np.testing.assert_allclose(one, coefs[..., 1], rtol=1e-12)
    np.testing.assert_allclose(one_intercept, intercepts[:, 1], rtol=1e-12)


# ----- kNN ------------------------------------------------------------------------------------


def _class_inputs(n: int = 60, dim: int = 4, seed: int = 0) -> FrozenInputs:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    features = rng.normal(size=(3, dim))[labels] + 0.8 * rng.normal(size=(n, dim))
    return inputs_from_arrays(features, labels, CLASSES)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _without_source(split: FrozenSplit) -> FrozenSplit:
    return dataclasses.replace(split, source=None)


def test_knn_shares_one_similarity_matrix_between_cells_when_it_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = _class_inputs()
    split = select_cell(inputs, 0.5, seed=0)
    n_queries = len(split.x_val) + len(split.x_test)
    n_reference = len(inputs.splits["train"])
    monkeypatch.setattr(knn, "_MAX_SHARED_BYTES", n_queries * n_reference * 4)  # just fits
    calls: list[int] = []
    original = knn.cosine_similarity

    def counted(queries: np.ndarray, reference: np.ndarray) -> torch.Tensor:
        calls.append(len(queries))
        return original(queries, reference)

    monkeypatch.setattr(knn, "cosine_similarity", counted)
    settings = KnnSettings(ks=[1, 3, 7])
    shared = fit_knn(split, CLASSES, settings, seed=0)
    fit_knn(select_cell(inputs, 0.3, seed=2), CLASSES, settings, seed=0)  # another cell
    assert len(calls) == 1  # computed once for every cell of these inputs
    similarity = inputs.memo["knn_similarity"]
    assert tuple(similarity.shape) == (n_queries, n_reference)
    queries = inputs.features[np.concatenate([inputs.splits["val"], inputs.splits["test"]])]
    reference = inputs.features[inputs.splits["train"]]
    np.testing.assert_allclose(similarity.numpy(), _unit(queries) @ _unit(reference).T, atol=1e-6)
    direct = fit_knn(_without_source(split), CLASSES, settings, seed=0)
    np.testing.assert_array_equal(shared.y_pred, direct.y_pred)
    np.testing.assert_allclose(shared.probabilities, direct.probabilities, atol=1e-6)
    assert shared.hyperparameters == direct.hyperparameters


def test_knn_searches_directly_when_the_shared_matrix_is_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = _class_inputs()
    split = select_cell(inputs, 0.5, seed=1)
    n_queries = len(split.x_val) + len(split.x_test)
    monkeypatch.setattr(knn, "_MAX_SHARED_BYTES", n_queries * len(inputs.splits["train"]) * 4 - 1)
    settings = KnnSettings(ks=[2, 5])
    fitted = fit_knn(split, CLASSES, settings, seed=0)
    assert "knn_similarity" not in inputs.memo
    direct = fit_knn(_without_source(split), CLASSES, settings, seed=0)
    np.testing.assert_array_equal(fitted.y_pred, direct.y_pred)
    np.testing.assert_allclose(fitted.probabilities, direct.probabilities, atol=1e-6)
    # positions without the inputs they index: nothing to share, a direct search
    lone = dataclasses.replace(split, source=None)
    assert lone.train_positions is not None
    np.testing.assert_array_equal(fit_knn(lone, CLASSES, settings, seed=0).y_pred, direct.y_pred)


# ----- linear probe ---------------------------------------------------------------------------


def _value_split(n: int = 30, dim: int = 12, seed: int = 1) -> FrozenSplit:
    """Noisy values with a large offset: some middle alpha wins on validation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3 * n, dim)).astype(np.float32)
    y = (1000.0 + x @ rng.normal(size=dim) * 0.3 + rng.normal(size=3 * n))[:, None]  # [N, 1]
    parts = [slice(0, n), slice(n, 2 * n), slice(2 * n, 3 * n)]
    (xt, yt), (xv, yv), (xs, ys) = ((x[p], y[p]) for p in parts)
    return FrozenSplit(xt, yt, xv, yv, xs, ys, np.arange(n))


def test_ridge_alpha_is_chosen_on_validation_and_used_on_test() -> None:
    split = _value_split()
    grid = [1e-2, 1.0, 10.0, 100.0, 1e4]
    started = time.perf_counter()
    fitted = fit_linear(split, VALUES, LinearSettings(alpha_grid=grid), seed=0)
    assert 0 <= fitted.eval_seconds <= time.perf_counter() - started  # measured in the call
    mean, std = split.x_train.mean(axis=0), split.x_train.std(axis=0) + 1e-6
    scaled = [((a - mean) / std).astype(np.float64) for a in (split.x_train, split.x_val)]
    models = [Ridge(alpha=a, solver="svd").fit(scaled[0], split.y_train[:, 0]) for a in grid]
    val_mse = [np.mean((m.predict(scaled[1]) - split.y_val[:, 0]) ** 2) for m in models]
    best = int(np.argmin(val_mse))
    assert 0 < best < len(grid) - 1  # the data make a middle alpha win
    assert fitted.hyperparameters == {"alpha": grid[best]}
    x_test = ((split.x_test - mean) / std).astype(np.float64)
    np.testing.assert_allclose(fitted.y_pred[:, 0], models[best].predict(x_test), rtol=1e-6)
    assert fitted.probabilities is None and fitted.params_trainable == 12 + 1


def _imbalanced_split(seed: int = 0) -> FrozenSplit:
    """Few, uneven labels (90 / 7 / 3 %): the strongest regularisations predict the majority."""
    rng = np.random.default_rng(seed)
    n_train, dim = 100, 64
    y = rng.choice(3, size=n_train + 1000, p=[0.9, 0.07, 0.03])
    x = (0.5 * rng.normal(size=(3, dim))[y] + rng.normal(size=(len(y), dim))).astype(np.float32)
    train, val, test = slice(0, n_train), slice(n_train, n_train + 500), slice(n_train + 500, None)
    return FrozenSplit(x[train], y[train], x[val], y[val], x[test], y[test], np.arange(500))


def test_logistic_c_is_chosen_on_validation_and_its_weights_predict_test() -> None:
    split = _imbalanced_split()
    grid = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    started = time.perf_counter()
    fitted = fit_linear(split, CLASSES, LinearSettings(c_grid=grid), seed=0)
    took = time.perf_counter() - started
    x = linear.standardise(split.x_train, split.x_val, split.x_test)
    c, weights, biases = linear.fit_logistic_path(x, split.y_train, split.y_val, 3, tuple(grid))
    assert fitted.hyperparameters == {"C": c} and c > 1e-3  # past the majority-class plateau
    expected = torch.softmax(torch.from_numpy(x[2]) @ weights + biases, dim=1).numpy()
    assert float(np.abs(biases.numpy()).max()) > 0.1  # the biases matter here
    np.testing.assert_allclose(fitted.probabilities, expected, atol=1e-6)
    np.testing.assert_array_equal(fitted.y_pred, expected.argmax(1))
    assert fitted.params_trainable == 64 * 3 + 3
    assert 0 <= fitted.eval_seconds <= took  # a duration measured inside the call
    # the iteration budget reaches the solver
    one_step = fit_linear(split, CLASSES, LinearSettings(c_grid=[1.0], max_iter=1), seed=0)
    many = fit_linear(split, CLASSES, LinearSettings(c_grid=[1.0]), seed=0)
    assert not np.allclose(one_step.probabilities, many.probabilities, atol=1e-3)


def test_classes_are_counted_from_the_labels_when_the_task_does_not_say() -> None:
    split = _imbalanced_split(1)
    unnamed = ClassificationTask(("label",), n_classes=0)
    fitted = fit_linear(split, unnamed, LinearSettings(c_grid=[0.1]), seed=0)
    assert fitted.probabilities is not None and fitted.probabilities.shape == (500, 3)
    assert mlp.mlp_targets(unnamed, split).out == 3


def test_logistic_path_takes_any_float_features_and_integer_labels() -> None:
    split = _imbalanced_split(2)
    x = [a.astype(np.float64) for a in (split.x_train, split.x_val, split.x_test)]
    labels = split.y_train.astype(np.int32)
    c, weights, _ = linear.fit_logistic_path(x, labels, split.y_val, 3, (0.1,))
    assert c == 0.1 and weights.dtype == torch.float32


def test_the_c_path_stops_after_patience_worse_scores_but_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each fit along the path is replaced by a fixed threshold, so validation accuracy follows
    a chosen sequence: 0.8, 0.7 (worse once), 1.0 (new best), 1.0 (a tie: the first is kept),
    0.8, 0.8 (worse twice: stop). The seventh C never runs. The classes split at x = 1, not at
    the centre, so a sign error in the biases changes the sequence."""
    x_val = (np.arange(10) - 4.5).astype(np.float32)[:, None]  # [10, 1]
    y_val = (x_val[:, 0] > 1).astype(np.int64)
    thresholds = iter([-1.0, -2.0, 1.0, 1.2, 3.0, 3.0, 0.0])
    calls: list[float] = []

    def fixed(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, l2: float,
              max_iter: int) -> None:  # fmt: skip
        threshold = next(thresholds)
        calls.append(threshold)
        with torch.no_grad():
            w.copy_(torch.tensor([[0.0, 1.0]]))
            b.copy_(torch.tensor([0.0, -threshold]))

    monkeypatch.setattr(linear, "_minimise_logistic", fixed)
    grid = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3)
    c, _, biases = linear.fit_logistic_path([x_val, x_val], y_val, y_val, 2, grid)
    assert c == 1e-1 and float(biases[1]) == -1.0  # the third fit, kept as it was
    assert len(calls) == 6  # stopped after two worse scores
    assert linear.PATH_PATIENCE == 2


def test_lbfgs_reaches_the_optimum_within_its_budget() -> None:
    """The objective after `max_iter` iterations equals the optimum of a long run, and a tiny
    budget is visibly short of it: the budget reaches the optimiser."""
    split = _imbalanced_split(3)
    x = torch.from_numpy(linear.standardise(split.x_train)[0])
    y = torch.from_numpy(split.y_train)
    l2 = 1.0 / (0.1 * len(x))

    def objective(max_iter: int) -> float:
        w = torch.zeros(64, 3, requires_grad=True)
        b = torch.zeros(3, requires_grad=True)
        linear._minimise_logistic(x, y, w, b, l2, max_iter)
        with torch.no_grad():
            loss = torch.nn.functional.cross_entropy(x @ w + b, y) + 0.5 * l2 * (w**2).sum()
        return float(loss)

    optimum = objective(500)
    assert objective(linear.DEFAULT_MAX_ITER) == pytest.approx(optimum, rel=1e-6)
    assert objective(2) > optimum * (1 + 1e-3)


def test_standardise_centres_and_scales_every_column_by_the_training_rows() -> None:
    x_train = np.array([[0.0, 100.0, 5.0], [2.0, 100.0, 5.000002], [4.0, 100.0, 5.000001]])
    other = np.array([[2.0, 101.0, 5.0]])
    train, scaled = linear.standardise(x_train, other)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6  # a constant column: 1e-6
    np.testing.assert_allclose(train, ((x_train - mean) / std).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(scaled, ((other - mean) / std).astype(np.float32), rtol=1e-6)
    assert train.dtype == np.float32 and np.isfinite(train).all()
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-6)
