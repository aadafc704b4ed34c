"""Frozen heads on several target columns at once: the same answer as one column at a time
where the head is separable (ridge, kNN), and real learning on planted structure (all)."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.data.splits import stratified_split
from astrobench.protocols.frozen_inputs import inputs_from_arrays
from astrobench.protocols.ladder import frozen_protocols
from astrobench.tasks.multioutput import MultiOutputTask
from astrobench.tasks.regression import RegressionTask


def planted(n: int = 500, dim: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    a = x[:, 0] + 0.5 * x[:, 1] + rng.normal(0, 0.05, n)
    b = 100.0 * (x[:, 2] - x[:, 3]) + rng.normal(0, 5, n)  # other units, other directions
    return x, np.stack([a, b], axis=1)


@pytest.mark.parametrize("name", ["knn", "linear", "mlp", "whitening"])
def test_every_head_learns_both_columns(name: str) -> None:
    x, y = planted()
    inputs = inputs_from_arrays(x, y, MultiOutputTask(("a", "b")))
    (protocol,) = frozen_protocols([name])
    result = protocol.run_cell(inputs, 1.0, 0)
    assert result.y_pred.shape == (result.n_test, 2)
    assert result.metrics["a/r2"] > 0.6 and result.metrics["b/r2"] > 0.6, result.metrics


@pytest.mark.parametrize("name", ["linear", "knn"])
def test_separable_heads_match_single_column_fits(name: str) -> None:
    """Ridge with a shared alpha and kNN with a shared k are per-column fits: each column of the
    joint prediction equals the single-column fit when it picks the same hyper-parameter."""
    x, y = planted()
    splits = stratified_split(np.arange(len(x)) % 5, seed=0)  # the same rows for every fit
    settings = {"alpha_grid": [10.0]} if name == "linear" else {"ks": [7]}
    (protocol,) = frozen_protocols([name])
    joint_inputs = inputs_from_arrays(x, y, MultiOutputTask(("a", "b")), splits)
    joint = protocol.run_cell(joint_inputs, 1.0, 0, settings=settings)
    for j, column in enumerate(("a", "b")):
        inputs = inputs_from_arrays(x, y[:, j], RegressionTask((column,)), splits)
        single = protocol.run_cell(inputs, 1.0, 0, settings=settings)
        np.testing.assert_array_equal(joint.y_true[:, j], single.y_true)
        np.testing.assert_allclose(joint.y_pred[:, j], single.y_pred, rtol=1e-6, atol=1e-6)
