"""One-hidden-layer MLP on frozen embeddings (width 32 by default, as AstroCLIP's few-shot head).

A grid of weight decays is trained in one pass: the heads are stacked ([G, D, H] weights) and
updated together by Adam on the sum of their losses, which are independent. Each head keeps
the parameters of its best validation-loss epoch (early stopping); training ends when no head
has improved for `patience` epochs. The head with the best validation score is used on test.
Everything is seeded: initialisation and minibatch order come from `torch.Generator(seed)`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from pydantic import Field

from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.protocols.linear import standardise
from astrobench.tasks.base import ClassOutput, Task, ValueOutput
from astrobench.tasks.votes import VoteOutput

DEFAULT_HIDDEN = 32
DEFAULT_WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2)
DEFAULT_LR = 3e-3
DEFAULT_MAX_EPOCHS = 200
DEFAULT_PATIENCE = 5
DEFAULT_BATCH_SIZE = 256
MAX_STEPS_PER_EPOCH = 10  # larger sets get larger batches, so an epoch stays cheap


class MlpSettings(FrozenSettings):
    """Width, the weight-decay grid (chosen on validation) and the optimiser of the MLP heads."""

    hidden: int = Field(default=DEFAULT_HIDDEN, ge=1)
    weight_decays: list[float] = Field(
        default_factory=lambda: list(DEFAULT_WEIGHT_DECAYS), min_length=1
    )
    lr: float = Field(default=DEFAULT_LR, gt=0)
    max_epochs: int = Field(default=DEFAULT_MAX_EPOCHS, ge=1)
    patience: int = Field(default=DEFAULT_PATIENCE, ge=1)
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1)


class StackedMLP(torch.nn.Module):
    """G independent one-hidden-layer MLPs evaluated together."""

    def __init__(self, grid: int, dim: int, hidden: int, out: int, generator: torch.Generator):
        super().__init__()
        bound_in, bound_hidden = 1 / math.sqrt(dim), 1 / math.sqrt(hidden)
        self.w1 = torch.nn.Parameter(_uniform((grid, dim, hidden), bound_in, generator))
        self.b1 = torch.nn.Parameter(_uniform((grid, 1, hidden), bound_in, generator))
        self.w2 = torch.nn.Parameter(_uniform((grid, hidden, out), bound_hidden, generator))
        self.b2 = torch.nn.Parameter(_uniform((grid, 1, out), bound_hidden, generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, D] -> outputs [G, B, out]."""
        hidden = torch.relu(torch.einsum("bd,gdh->gbh", x, self.w1) + self.b1)  # [G, B, H]
        return torch.bmm(hidden, self.w2) + self.b2

    def head_parameters(self) -> int:
        """Parameters of one head."""
        return sum(p[0].numel() for p in self.parameters())


def _uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


HeadLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every head, [G], on class labels y [B]."""
    log_probs = torch.log_softmax(out, dim=2)  # [G, B, C]
    return -log_probs.gather(2, y.view(1, -1, 1).expand(out.shape[0], -1, 1)).mean(dim=(1, 2))


def _squared_error(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of every head, [G], on standardised targets y [B, T]."""
    return ((out - y) ** 2).mean(dim=(1, 2))


def _vote_loss(task: Task) -> HeadLoss:
    """Dirichlet-multinomial NLL of every head, [G], on vote counts y [B, A]."""
    from astrobench.models.vote_head import (
        answer_membership,
        concentrations_from_outputs,
        dirichlet_multinomial_log_likelihood,
    )

    membership = answer_membership(task.vote_schema)  # type: ignore[attr-defined]

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ll = dirichlet_multinomial_log_likelihood(y, concentrations_from_outputs(out), membership)
        return -ll.sum(dim=2).mean(dim=1)  # [G]

    return loss


def train_stacked_mlp(
    model: StackedMLP,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    weight_decays: torch.Tensor,
    settings: MlpSettings,
    generator: torch.Generator,
    per_head_loss: HeadLoss,
) -> int:
    """Train all heads with per-head early stopping; restore each head's best epoch."""
    x_train, y_train, x_val, y_val = data
    n = len(x_train)
    batch = max(settings.batch_size, -(-n // MAX_STEPS_PER_EPOCH))
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    patience = settings.patience
    best_loss = torch.full((len(weight_decays),), float("inf"))
    best_state = [p.detach().clone() for p in model.parameters()]
    stale = torch.zeros(len(weight_decays), dtype=torch.long)
    epoch = 0
    for epoch in range(settings.max_epochs):  # noqa: B007
        for rows in torch.randperm(n, generator=generator).split(batch):
            optimizer.zero_grad()
            loss = per_head_loss(model(x_train[rows]), y_train[rows])
            penalty = (model.w1**2).sum(dim=(1, 2)) + (model.w2**2).sum(dim=(1, 2))  # [G]
            (loss + 0.5 * weight_decays * penalty).sum().backward()
            optimizer.step()
        with torch.no_grad():
            val_loss = per_head_loss(model(x_val), y_val)  # [G]
            improved = val_loss < best_loss
            best_loss = torch.where(improved, val_loss, best_loss)
            stale = torch.where(improved, 0, stale + 1)
            for saved, param in zip(best_state, model.parameters(), strict=True):
                saved[improved] = param[improved]
        if bool((stale >= patience).all()):
            break
    with torch.no_grad():
        for saved, param in zip(best_state, model.parameters(), strict=True):
            param.copy_(saved)
    return epoch + 1


@dataclass
class MlpTargets:
    """What the heads fit for one task output: targets, width, loss and decoding."""

    y_train: torch.Tensor
    y_val: torch.Tensor
    out: int
    loss: HeadLoss
    decode: Callable[[torch.Tensor], np.ndarray]  # outputs [..., n, out] -> predictions


def mlp_targets(task: Task, split: FrozenSplit) -> MlpTargets:
    """Class labels (cross-entropy), vote counts (Dirichlet-multinomial; the heads predict
    concentrations), or values standardised per column (MSE)."""
    output = task.output
    if isinstance(output, ClassOutput):
        return MlpTargets(
            torch.from_numpy(split.y_train),
            torch.from_numpy(split.y_val),
            output.n_classes or int(split.y_train.max()) + 1,
            _cross_entropy,
            lambda o: o.argmax(-1).numpy(),
        )
    if isinstance(output, VoteOutput):
        from astrobench.models.vote_head import concentrations_from_outputs

        return MlpTargets(
            torch.from_numpy(split.y_train).float(),
            torch.from_numpy(split.y_val).float(),
            output.n_answers,
            _vote_loss(task),
            lambda o: concentrations_from_outputs(o).double().numpy(),
        )
    mean, std = split.y_train.mean(axis=0), split.y_train.std(axis=0)  # [T]
    std = np.where(std > 0, std, 1.0)
    return MlpTargets(
        torch.from_numpy((split.y_train - mean) / std).float(),
        torch.from_numpy((split.y_val - mean) / std).float(),
        split.y_train.shape[1],
        _squared_error,
        lambda o: o.double().numpy() * std + mean,
    )


@frozen_protocol("mlp", MlpSettings, outputs=(ClassOutput, ValueOutput, VoteOutput))
def fit_mlp(split: FrozenSplit, task: Task, settings: MlpSettings, seed: int) -> HeadFit:
    """One-hidden-layer MLP over a weight-decay grid; choose on the validation split."""
    x_train, x_val, x_test = (
        torch.from_numpy(a) for a in standardise(split.x_train, split.x_val, split.x_test)
    )
    targets = mlp_targets(task, split)
    decays = tuple(settings.weight_decays)
    generator = torch.Generator().manual_seed(int(seed))
    model = StackedMLP(len(decays), x_train.shape[1], settings.hidden, targets.out, generator)
    epochs = train_stacked_mlp(
        model,
        (x_train, targets.y_train, x_val, targets.y_val),
        torch.tensor(decays),
        settings,
        generator,
        targets.loss,
    )
    with torch.inference_mode():
        val_pred = targets.decode(model(x_val))  # [G, n_val, ...]
        best = int(np.argmax(task.selection_score(split.y_val, val_pred)))
        start = time.perf_counter()
        test_out = model(x_test)[best]  # [n_test, out]
    hyper = {"hidden": settings.hidden, "weight_decay": decays[best], "epochs_run": epochs}
    n_params = model.head_parameters()
    probabilities = (
        torch.softmax(test_out, dim=1).numpy() if isinstance(task.output, ClassOutput) else None
    )
    y_pred = targets.decode(test_out)
    return HeadFit(y_pred, probabilities, hyper, n_params, time.perf_counter() - start)
