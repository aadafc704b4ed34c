"""knn_distance (seed 003 zero-shot): predictions equal scikit-learn's inverse-distance kNN on
standardised embeddings; classes by weighted votes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from astrobench.data.splits import stratified_split
from astrobench.protocols.frozen_inputs import inputs_from_arrays
from astrobench.protocols.ladder import frozen_protocols
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.regression import RegressionTask


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(300, 4)) * np.array([1.0, 30.0, 0.1, 5.0])).astype(np.float32)
    y = x[:, 0] + x[:, 1] / 30 + rng.normal(0, 0.1, 300)
    return x, y


def test_regression_equals_sklearn_distance_weighted_knn_on_standardised_features() -> None:
    x, y = _data()
    splits = stratified_split(np.arange(len(x)) % 5, seed=0)
    inputs = inputs_from_arrays(x, y, RegressionTask(("y",)), splits)
    (protocol,) = frozen_protocols(["knn_distance"])
    result = protocol.run_cell(inputs, 1.0, 0, settings={"ks": [9]})
    train, test = splits["train"], splits["test"]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    reference = KNeighborsRegressor(n_neighbors=9, weights="distance").fit(
        (x[train] - mean) / std, y[train]
    )
    expected = reference.predict((x[test] - mean) / std)
    np.testing.assert_allclose(np.ravel(result.y_pred), expected, rtol=1e-5, atol=1e-6)
    assert result.hyperparameters["k"] == 9


def test_k_is_chosen_on_validation_and_classes_are_weighted_votes() -> None:
    x, y = _data(1)
    labels = (y > np.median(y)).astype(np.int64)
    splits = stratified_split(labels, seed=0)
    task = ClassificationTask(("label",), n_classes=2, class_names=("low", "high"))
    inputs = inputs_from_arrays(x, labels, task, splits)
    (protocol,) = frozen_protocols(["knn_distance"])
    result = protocol.run_cell(inputs, 1.0, 0, settings={"ks": [1, 5, 25]})
    k = result.hyperparameters["k"]
    train, test = splits["train"], splits["test"]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    reference = KNeighborsClassifier(n_neighbors=k, weights="distance").fit(
        (x[train] - mean) / std, labels[train]
    )
    np.testing.assert_array_equal(result.y_pred, reference.predict((x[test] - mean) / std))
    assert result.metrics["accuracy"] > 0.8


def test_unknown_setting_is_refused() -> None:
    from astrobench.errors import ConfigError

    x, y = _data()
    inputs = inputs_from_arrays(x, y, RegressionTask(("y",)))
    (protocol,) = frozen_protocols(["knn_distance"])
    with pytest.raises(ConfigError, match="temperature"):
        protocol.run_cell(inputs, 1.0, 0, settings={"temperature": 0.1})
