"""The MLP heads of the frozen protocols on tiny arrays, checked by value: the stacked heads,
their per-head losses, training with per-head early stopping, target standardisation and the
choice of weight decay on validation.

Fast (milliseconds to a second each), so mutation testing reaches protocols/mlp.py without
running whole protocols.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from astrobench.protocols import mlp
from astrobench.protocols.frozen import FrozenSplit
from astrobench.protocols.mlp import MlpSettings, StackedMLP, fit_mlp
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.multioutput import MultiOutputTask
from astrobench.tasks.regression import RegressionTask

CLASSES = ClassificationTask(("label",), n_classes=3, class_names=("a", "b", "c"))
VALUES = RegressionTask(("m",))


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
