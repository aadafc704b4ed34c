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
from astrobench.protocols.mlp import MlpSettings, StackedMLP, fit_mlp
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.multioutput import MultiOutputTask
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


# ----- MLP ------------------------------------------------------------------------------------


def test_stacked_mlp_is_g_independent_mlps() -> None:
    generator = torch.Generator().manual_seed(0)
    model = StackedMLP(grid=3, dim=4, hidden=5, out=2, generator=generator)
    assert tuple(model.w1.shape) == (3, 4, 5) and tuple(model.b1.shape) == (3, 1, 5)
    assert tuple(model.w2.shape) == (3, 5, 2) and tuple(model.b2.shape) == (3, 1, 2)
    assert model.head_parameters() == 4 * 5 + 5 + 5 * 2 + 2
    # PyTorch's default nn.Linear initialisation bounds: 1/sqrt(fan_in)
    w1, w2, b1, b2 = (p.detach() for p in (model.w1, model.w2, model.b1, model.b2))
    assert 0.4 < float(w1.abs().max()) <= 0.5 and 0.3 < float(w2.abs().max()) <= 5**-0.5
    assert float(b1.abs().max()) <= 0.5 and float(b2.abs().max()) <= 5**-0.5
    assert float(w1.min()) < 0 < float(w1.max())
    x = torch.randn(6, 4, generator=generator)
    out = model(x)
    assert tuple(out.shape) == (3, 6, 2)
    for g in range(3):
        hidden = torch.relu(x @ model.w1[g] + model.b1[g])
        torch.testing.assert_close(out[g], hidden @ model.w2[g] + model.b2[g])
    again = StackedMLP(3, 4, 5, 2, torch.Generator().manual_seed(0))
    torch.testing.assert_close(again.w1, model.w1)  # seeded


def test_per_head_losses_are_the_mean_losses_of_each_head() -> None:
    out = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(1))  # [G, B, C]
    labels = torch.tensor([0, 2, 1, 1, 0])
    expected = torch.stack([torch.nn.functional.cross_entropy(out[g], labels) for g in range(2)])
    torch.testing.assert_close(mlp._cross_entropy(out, labels), expected)
    values = torch.randn(5, 3)
    expected_mse = torch.stack([((out[g] - values) ** 2).mean() for g in range(2)])
    torch.testing.assert_close(mlp._squared_error(out, values), expected_mse)


def test_training_keeps_each_heads_best_epoch_and_stops_on_patience() -> None:
    """Head 0 has no decay, head 1 an absurd one. Validation losses are recorded per epoch: the
    parameters left in each head are those of its best epoch, and training stops once every
    head has gone `patience` epochs without improving."""
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(40, 3)).astype(np.float32))
    y = (x[:, :1] * 2.0).float()  # [n, 1]
    model = StackedMLP(2, 3, 8, 1, torch.Generator().manual_seed(0))
    settings = MlpSettings(hidden=8, lr=0.05, max_epochs=60, patience=3, batch_size=8)
    history: list[torch.Tensor] = []

    def recording(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = mlp._squared_error(out, target)
        if not torch.is_grad_enabled():  # the validation pass of each epoch
            history.append(loss.detach().clone())
        return loss

    epochs = mlp.train_stacked_mlp(
        model, (x[:30], y[:30], x[30:], y[30:]), torch.tensor([0.0, 50.0]), settings,
        torch.Generator().manual_seed(0), recording,
    )  # fmt: skip
    losses = torch.stack(history)  # [epochs, G]
    assert epochs == len(history) and 3 < epochs < 60
    best = losses.min(dim=0)
    with torch.no_grad():
        torch.testing.assert_close(mlp._squared_error(model(x[30:]), y[30:]), best.values)
    # stopped exactly when the later-improving head had gone `patience` epochs stale
    assert int(best.indices.max()) == epochs - 1 - settings.patience
    assert float(best.values[0]) < float(best.values[1])  # decay 50 cannot fit the slope


def test_value_targets_are_standardised_per_column_and_decoded_back() -> None:
    y_train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    y_val = np.array([[3.0, 12.0]])
    split = FrozenSplit(
        np.zeros((3, 2), np.float32), y_train, np.zeros((1, 2), np.float32), y_val,
        np.zeros((1, 2), np.float32), y_val, np.arange(1),
    )  # fmt: skip
    targets = mlp.mlp_targets(MultiOutputTask(("a", "b")), split)
    std = np.std([1.0, 3.0, 5.0])
    torch.testing.assert_close(
        targets.y_train, torch.tensor([[-2 / std, 0.0], [0.0, 0.0], [2 / std, 0.0]]).float()
    )  # a constant column keeps std 1: no division by zero
    torch.testing.assert_close(targets.y_val, torch.tensor([[0.0, 2.0]]))
    assert targets.out == 2 and targets.loss is mlp._squared_error
    decoded = targets.decode(torch.tensor([[[1.0, -1.0]]]))  # [G, n, T]
    np.testing.assert_allclose(decoded, [[[3.0 + std, 9.0]]])
    assert decoded.dtype == np.float64
    classes = FrozenSplit(
        np.zeros((3, 2), np.float32), np.array([0, 2, 1]), np.zeros((1, 2), np.float32),
        np.array([1]), np.zeros((1, 2), np.float32), np.array([1]), np.arange(1),
    )  # fmt: skip
    class_targets = mlp.mlp_targets(ClassificationTask(("label",), n_classes=0), classes)
    assert class_targets.out == 3 and class_targets.loss is mlp._cross_entropy
    np.testing.assert_array_equal(class_targets.decode(torch.tensor([[0.1, 0.9, 0.0]])), [1])
    assert mlp.mlp_targets(CLASSES, classes).out == 3
    narrow = dataclasses.replace(split, y_train=np.array([[0.1], [0.2], [0.3]]), y_val=y_val[:, :1])
    scaled = mlp.mlp_targets(VALUES, narrow).y_train[:, 0]  # a spread below 1 is still divided
    torch.testing.assert_close(scaled, torch.tensor([-1.0, 0.0, 1.0]) * 1.5**0.5)  # ±0.1 / std


def test_mlp_weight_decay_is_chosen_on_validation() -> None:
    """A huge decay cannot fit; the chosen decay is the one with the best validation score, and
    the test predictions come from that head."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(90, 4)).astype(np.float32)
    y = (1000.0 + 3.0 * x[:, 0] + 0.1 * rng.normal(size=90))[:, None]
    split = FrozenSplit(x[:30], y[:30], x[30:60], y[30:60], x[60:], y[60:], np.arange(30))
    settings = MlpSettings(hidden=8, weight_decays=[1e3, 1e-4], lr=0.05, max_epochs=150)
    fitted = fit_mlp(split, VALUES, settings, seed=0)
    assert fitted.hyperparameters["weight_decay"] == 1e-4
    assert (
        fitted.hyperparameters["hidden"] == 8 and 1 <= fitted.hyperparameters["epochs_run"] <= 150
    )
    assert fitted.params_trainable == 4 * 8 + 8 + 8 + 1 and fitted.probabilities is None
    test_mse = float(np.mean((fitted.y_pred - split.y_test) ** 2))
    big_only = fit_mlp(split, VALUES, settings.model_copy(update={"weight_decays": [1e3]}), 0)
    big_mse = float(np.mean((big_only.y_pred - split.y_test) ** 2))
    assert test_mse < 0.2 * big_mse  # the test split is predicted by the head that won
    reversed_grid = settings.model_copy(update={"weight_decays": [1e-4, 1e3]})
    assert fit_mlp(split, VALUES, reversed_grid, 0).hyperparameters["weight_decay"] == 1e-4


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


def test_vote_loss_is_the_dirichlet_multinomial_nll_of_each_head() -> None:
    from astrobench.models.vote_head import (
        answer_membership,
        concentrations_from_outputs,
        dirichlet_multinomial_log_likelihood,
    )
    from astrobench.tasks.votes import VotesTask

    task = VotesTask(("votes",))
    n_answers = task.vote_schema.n_answers
    generator = torch.Generator().manual_seed(0)
    out = torch.randn(3, 4, n_answers, generator=generator)  # [G, B, A]
    counts = torch.randint(0, 5, (4, n_answers), generator=generator).float()
    membership = answer_membership(task.vote_schema)
    expected = torch.stack(
        [
            -dirichlet_multinomial_log_likelihood(
                counts, concentrations_from_outputs(out[g]), membership
            )
            .sum(dim=1)
            .mean()
            for g in range(3)
        ]
    )
    torch.testing.assert_close(mlp._vote_loss(task)(out, counts), expected)


@pytest.mark.parametrize(("n", "steps"), [(30, 10), (31, 8), (5, 5)])
def test_an_epoch_takes_at_most_ten_steps_however_small_the_batch(n: int, steps: int) -> None:
    """31 rows with batch_size 1 train in batches of ceil(31 / 10) = 4: 8 steps, not 31."""
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(0))
    y = x[:, :1].clone()
    model = StackedMLP(1, 2, 4, 1, torch.Generator().manual_seed(0))
    settings = MlpSettings(hidden=4, max_epochs=1, batch_size=1)
    batches: list[int] = []

    def counting(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            batches.append(len(target))
        return mlp._squared_error(out, target)

    data = (x, y, x[:2], y[:2])
    assert (
        mlp.train_stacked_mlp(
            model, data, torch.tensor([0.0]), settings, torch.Generator().manual_seed(0), counting
        )
        == 1
    )
    assert len(batches) == steps and sum(batches) == n


def test_weight_decay_gradient_and_patience_on_a_flat_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a loss that is 0 everywhere, the only gradient is the decay's: decay · W for the
    weights (½ · decay · ‖W‖² per head), none for the biases. A flat validation loss never
    improves after the first epoch, so training stops after 1 + patience epochs."""
    grads: list[list[torch.Tensor | None]] = []

    class Recording:
        def __init__(self, params: object, lr: float) -> None:
            self.params = list(params)  # type: ignore[call-overload]

        def zero_grad(self) -> None:
            for p in self.params:
                p.grad = None

        def step(self) -> None:
            grads.append([None if p.grad is None else p.grad.clone() for p in self.params])

    monkeypatch.setattr(mlp.torch.optim, "Adam", Recording)
    model = StackedMLP(2, 3, 4, 1, torch.Generator().manual_seed(0))
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    decays = torch.tensor([0.5, 2.0])
    settings = MlpSettings(hidden=4, max_epochs=10, patience=2)

    def flat(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (out * 0).sum(dim=(1, 2))  # [G], always 0

    epochs = mlp.train_stacked_mlp(
        model, (x, x[:, :1], x, x[:, :1]), decays, settings, torch.Generator(), flat
    )
    assert epochs == 1 + settings.patience
    w1_grad, b1_grad, w2_grad, _ = grads[0]
    assert w1_grad is not None and w2_grad is not None and b1_grad is not None
    torch.testing.assert_close(w1_grad, decays[:, None, None] * model.w1.detach())
    torch.testing.assert_close(w2_grad, decays[:, None, None] * model.w2.detach())
    assert float(b1_grad.abs().max()) == 0.0


def test_standardise_centres_and_scales_every_column_by_the_training_rows() -> None:
    x_train = np.array([[0.0, 100.0, 5.0], [2.0, 100.0, 5.000002], [4.0, 100.0, 5.000001]])
    other = np.array([[2.0, 101.0, 5.0]])
    train, scaled = linear.standardise(x_train, other)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6  # a constant column: 1e-6
    np.testing.assert_allclose(train, ((x_train - mean) / std).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(scaled, ((other - mean) / std).astype(np.float32), rtol=1e-6)
    assert train.dtype == np.float32 and np.isfinite(train).all()
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-6)
