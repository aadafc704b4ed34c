"""Every frozen protocol learns structured embeddings, for classes and for redshift."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from astrobench.errors import ConfigError, InsufficientDataError
from astrobench.protocols.frozen import select_cell
from astrobench.protocols.frozen_inputs import FrozenInputs, inputs_from_arrays
from astrobench.protocols.ladder import frozen_protocols
from astrobench.registry import PROTOCOLS
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions

CLASSIFICATION = ClassificationTask(("label",), n_classes=3, class_names=("a", "b", "c"))
PHOTOZ = PhotozTask(("redshift",))


def structured(n: int = 600, dim: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centres = rng.normal(0, 3, (3, dim))
    features = centres[labels] + rng.normal(0, 1, (n, dim))
    direction = rng.normal(size=dim) / np.sqrt(dim)
    redshift = 0.3 + 0.05 * (features @ direction) + rng.normal(0, 0.005, n)
    return {"features": features.astype(np.float32), "label": labels, "redshift": redshift}


@pytest.fixture
def class_inputs() -> FrozenInputs:
    data = structured()
    return inputs_from_arrays(data["features"], data["label"], CLASSIFICATION)


@pytest.fixture
def photoz_inputs() -> FrozenInputs:
    data = structured()
    return inputs_from_arrays(data["features"], data["redshift"], PHOTOZ)


FROZEN = ("knn", "linear", "mlp", "whitening")


def test_all_frozen_protocols_are_registered() -> None:
    assert set(FROZEN) <= set(PROTOCOLS.names())


@pytest.mark.parametrize("name", FROZEN)
def test_classification(name: str, class_inputs: FrozenInputs) -> None:
    (protocol,) = frozen_protocols([name])
    result = protocol.run_cell(class_inputs, fraction=0.5, seed=1)
    assert result.metrics["accuracy"] > 0.9
    assert result.probabilities is not None
    assert result.probabilities.shape == (result.n_test, 3)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(result.probabilities.argmax(1), result.y_pred)
    assert result.metrics == class_inputs.task.score(
        Predictions(result.y_true, result.y_pred, result.probabilities)
    )
    assert (result.n_val, result.n_test) == (60, 60)


@pytest.mark.parametrize("name", FROZEN)
def test_photoz_regression(name: str, photoz_inputs: FrozenInputs) -> None:
    (protocol,) = frozen_protocols([name])
    result = protocol.run_cell(photoz_inputs, fraction=1.0, seed=0)
    assert result.metrics["r2"] > 0.8, result.metrics
    assert result.probabilities is None
    assert result.metrics["sigma_nmad"] < 0.05


def test_split_is_fixed_across_seeds_and_subsets_are_nested(class_inputs: FrozenInputs) -> None:
    (knn,) = frozen_protocols(["knn"])
    a, b = knn.run_cell(class_inputs, 0.3, seed=0), knn.run_cell(class_inputs, 0.3, seed=1)
    np.testing.assert_array_equal(a.test_indices, b.test_indices)
    small = select_cell(class_inputs, 0.1, seed=2).train_positions
    large = select_cell(class_inputs, 0.5, seed=2).train_positions
    other = select_cell(class_inputs, 0.1, seed=3).train_positions
    assert set(small) <= set(large)
    assert set(small) != set(other)


def test_knn_every_k_matches_a_direct_computation(class_inputs: FrozenInputs) -> None:
    (knn,) = frozen_protocols(["knn"])
    result = knn.run_cell(class_inputs, 1.0, 0, settings={"ks": [5]})
    split = select_cell(class_inputs, 1.0, 0)
    train = split.x_train / np.linalg.norm(split.x_train, axis=1, keepdims=True)
    test = split.x_test / np.linalg.norm(split.x_test, axis=1, keepdims=True)
    sims = test @ train.T
    expected = []
    for row in sims:
        top = np.argsort(-row)[:5]
        votes = np.zeros(3)
        np.add.at(votes, split.y_train[top], np.exp(row[top] / 0.07))
        expected.append(votes / votes.sum())
    np.testing.assert_allclose(result.probabilities, np.array(expected), atol=1e-4)


def test_ridge_matches_scikit_learn(photoz_inputs: FrozenInputs) -> None:
    from sklearn.linear_model import Ridge

    from astrobench.protocols.linear import fit_ridge_grid

    split = select_cell(photoz_inputs, 1.0, 0)
    y_train = split.y_train[:, 0]  # value targets reach heads as [n, T]
    coefs, intercepts = fit_ridge_grid(split.x_train, y_train, (0.1, 30.0))
    for g, alpha in enumerate((0.1, 30.0)):
        reference = Ridge(alpha=alpha).fit(split.x_train, y_train)
        np.testing.assert_allclose(coefs[g], reference.coef_, rtol=1e-4, atol=1e-7)
        assert intercepts[g] == pytest.approx(reference.intercept_, rel=1e-5)


def test_logistic_path_agrees_with_scikit_learn(class_inputs: FrozenInputs) -> None:
    from sklearn.linear_model import LogisticRegression

    from astrobench.protocols.linear import fit_logistic_path, standardise

    split = select_cell(class_inputs, 1.0, 0)
    x = standardise(split.x_train, split.x_val, split.x_test)
    c, weights, biases = fit_logistic_path(x, split.y_train, split.y_val, 3, (0.01,), 200)
    reference = LogisticRegression(C=c, max_iter=1000).fit(x[0], split.y_train)
    ours = (x[2] @ weights.numpy() + biases.numpy()).argmax(1)
    assert np.mean(ours == reference.predict(x[2])) >= 0.98
    np.testing.assert_allclose(
        weights.numpy().T - weights.numpy().T.mean(0),
        reference.coef_ - reference.coef_.mean(0),
        atol=0.02,
    )


def test_whitening_gives_unit_covariance(class_inputs: FrozenInputs) -> None:
    from astrobench.protocols.whitening import pca_whitening

    x = select_cell(class_inputs, 1.0, 0).x_train
    mean, matrix = pca_whitening(x)
    whitened = (x - mean) @ matrix
    np.testing.assert_allclose(np.cov(whitened.T), np.eye(matrix.shape[1]), atol=1e-6)


def test_mlp_is_reproducible_per_seed(class_inputs: FrozenInputs) -> None:
    (mlp,) = frozen_protocols(["mlp"])
    first = mlp.run_cell(class_inputs, 0.3, seed=4)
    again = mlp.run_cell(class_inputs, 0.3, seed=4)
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    assert first.hyperparameters["hidden"] == 32


def test_too_few_labels_for_a_fraction(class_inputs: FrozenInputs) -> None:
    (linear,) = frozen_protocols(["linear"])
    with pytest.raises(InsufficientDataError, match="class 'a' has 1 labelled training"):
        linear.run_cell(class_inputs, fraction=0.005, seed=0)
    with pytest.raises(InsufficientDataError, match="only"):
        linear.run_cell(class_inputs, n_per_class=1000, seed=0)


def test_few_shot_cells_have_n_per_class(class_inputs: FrozenInputs) -> None:
    (knn,) = frozen_protocols(["knn"])
    result = knn.run_cell(class_inputs, n_per_class=4, seed=0)
    assert result.n_train == 12
    assert result.hyperparameters["k"] <= 12


def test_non_frozen_or_unknown_protocol_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown protocol"):
        frozen_protocols(["nearest"])


def test_ladder_summary_is_the_spread_over_seeds(class_inputs: FrozenInputs) -> None:
    from astrobench.protocols.ladder import ladder_cells, run_ladder, summarise

    cells = ladder_cells(["knn", "linear"], fractions=[0.2, 1.0], seeds=[0, 1, 2])
    results = run_ladder(class_inputs, cells)
    assert len(results) == 12
    rows = summarise(results)
    assert [(r["protocol"], r["fraction"]) for r in rows] == [
        ("knn", 0.2),
        ("knn", 1.0),
        ("linear", 0.2),
        ("linear", 1.0),
    ]
    accuracies = [
        r.metrics["accuracy"] for r in results if (r.protocol, r.fraction) == ("knn", 0.2)
    ]
    summary = rows[0]["metrics"]["accuracy"]
    assert summary.mean == pytest.approx(np.mean(accuracies))
    assert summary.std == pytest.approx(np.std(accuracies, ddof=1))
    assert summary.n == 3


def test_logistic_path_walks_past_the_majority_class_plateau() -> None:
    """Few, unevenly distributed labels: the strongest C values all predict the majority class
    and tie on validation; the walk must go on to the C that actually separates the classes."""
    from astrobench.protocols.linear import DEFAULT_C_GRID, fit_logistic_path, standardise

    rng = np.random.default_rng(0)
    n_train, dim, proportions = 100, 64, [0.9, 0.07, 0.03]
    y = rng.choice(3, size=n_train + 2000, p=proportions)
    centres = rng.normal(size=(3, dim))
    x = (0.5 * centres[y] + rng.normal(size=(len(y), dim))).astype(np.float32)
    parts = standardise(x[:n_train], x[n_train : n_train + 1000], x[n_train + 1000 :])
    y_val, y_test = y[n_train : n_train + 1000], y[n_train + 1000 :]
    c, weights, biases = fit_logistic_path(parts, y[:n_train], y_val, 3, DEFAULT_C_GRID)
    test_pred = (torch.from_numpy(parts[2]) @ weights + biases).argmax(1).numpy()
    majority_only = float(np.mean(y_test == 0))
    assert c > 1e-3
    assert float(np.mean(test_pred == y_test)) > majority_only + 0.03


def _angles(degrees: list[float]) -> np.ndarray:
    radians = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    return np.stack([np.cos(radians), np.sin(radians)], axis=1).astype(np.float32)  # [n, 2]


def test_knn_chooses_k_on_validation_for_classification() -> None:
    """Ten class-0 neighbours near 0°, two class-1 ones near 90°; near-uniform votes (T = 100).
    k = 1 is right on validation, k = 12 votes the majority class. The test split must be
    predicted with the k that won on validation: choosing the worst k changes the test result."""
    from astrobench.protocols.frozen import FrozenSplit
    from astrobench.protocols.knn import KnnSettings, fit_knn

    task = ClassificationTask(("label",), n_classes=2, class_names=("round", "edge"))
    split = FrozenSplit(
        x_train=_angles([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 89, 90]),
        y_train=np.array([0] * 10 + [1] * 2),
        x_val=_angles([88, 3.5]),
        y_val=np.array([1, 0]),
        x_test=_angles([87, 2.5, 89.5]),
        y_test=np.array([1, 0, 1]),
        test_indices=np.arange(3),
    )
    chosen = fit_knn(split, task, KnnSettings(ks=[12, 1], temperature=100.0), seed=0)
    assert chosen.hyperparameters["k"] == 1
    assert chosen.y_pred.tolist() == [1, 0, 1]
    worst = fit_knn(split, task, KnnSettings(ks=[12], temperature=100.0), seed=0)
    assert worst.y_pred.tolist() == [0, 0, 0]  # the k that lost on validation is wrong on test
