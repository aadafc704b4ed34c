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

import numpy as np
import torch
from pydantic import Field

from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.protocols.linear import standardise
from astrobench.tasks.base import ClassOutput, Task

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


def _per_head_loss(out: torch.Tensor, y: torch.Tensor, classification: bool) -> torch.Tensor:
    """Mean loss of every head, [G]: cross-entropy, or MSE on the standardised targets [B, T]."""
    if classification:
        log_probs = torch.log_softmax(out, dim=2)  # [G, B, C]
        return -log_probs.gather(2, y.view(1, -1, 1).expand(out.shape[0], -1, 1)).mean(dim=(1, 2))
    return ((out - y) ** 2).mean(dim=(1, 2))


def train_stacked_mlp(
    model: StackedMLP,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    weight_decays: torch.Tensor,
    settings: MlpSettings,
    generator: torch.Generator,
    classification: bool,
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
            loss = _per_head_loss(model(x_train[rows]), y_train[rows], classification)
            penalty = (model.w1**2).sum(dim=(1, 2)) + (model.w2**2).sum(dim=(1, 2))  # [G]
            (loss + 0.5 * weight_decays * penalty).sum().backward()
            optimizer.step()
        with torch.no_grad():
            val_loss = _per_head_loss(model(x_val), y_val, classification)  # [G]
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


@frozen_protocol("mlp", MlpSettings)
def fit_mlp(split: FrozenSplit, task: Task, settings: MlpSettings, seed: int) -> HeadFit:
    """One-hidden-layer MLP over a weight-decay grid; choose on the validation split."""
    output = task.output
    classification = isinstance(output, ClassOutput)
    x_train, x_val, x_test = (
        torch.from_numpy(a) for a in standardise(split.x_train, split.x_val, split.x_test)
    )
    if isinstance(output, ClassOutput):
        out = output.n_classes or int(split.y_train.max()) + 1
        y_train, y_val = torch.from_numpy(split.y_train), torch.from_numpy(split.y_val)
        y_mean, y_std = np.zeros(1), np.ones(1)
    else:  # values [n, T], standardised per column
        out = split.y_train.shape[1]
        y_mean, y_std = split.y_train.mean(axis=0), split.y_train.std(axis=0)
        y_std = np.where(y_std > 0, y_std, 1.0)
        y_train = torch.from_numpy((split.y_train - y_mean) / y_std).float()
        y_val = torch.from_numpy((split.y_val - y_mean) / y_std).float()
    decays = tuple(settings.weight_decays)
    generator = torch.Generator().manual_seed(int(seed))
    model = StackedMLP(len(decays), x_train.shape[1], settings.hidden, out, generator)
    epochs = train_stacked_mlp(
        model,
        (x_train, y_train, x_val, y_val),
        torch.tensor(decays),
        settings,
        generator,
        classification,
    )
    with torch.inference_mode():
        val_out = model(x_val)  # [G, n_val, out]
        val_pred = (
            val_out.argmax(-1).numpy() if classification else val_out.numpy() * y_std + y_mean
        )
        best = int(np.argmax(task.selection_score(split.y_val, val_pred)))
        start = time.perf_counter()
        test_out = model(x_test)[best]  # [n_test, out]
    hyper = {"hidden": settings.hidden, "weight_decay": decays[best], "epochs_run": epochs}
    n_params = model.head_parameters()
    if classification:
        probs = torch.softmax(test_out, dim=1)
        return HeadFit(
            probs.argmax(1).numpy(), probs.numpy(), hyper, n_params, time.perf_counter() - start
        )
    y_pred = test_out.double().numpy() * y_std + y_mean  # [n_test, T]
    return HeadFit(y_pred, None, hyper, n_params, time.perf_counter() - start)
