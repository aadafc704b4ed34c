"""Fit an ensemble of conditional spline flows on arrays (embeddings -> target vector).

Seed 003 (§6.4, Appendix B6): each member has its own depth and width (`draw_architectures`),
is trained by Adam on the negative log-likelihood of the training objects and stopped when the
validation NLL has not improved for `patience` epochs (its best epoch is kept). The ensemble
density is the equal mixture of its members. Everything runs in standardised units (embeddings
and targets centred and scaled by their training mean and standard deviation) and is mapped back:
densities carry the Jacobian of the target scaling, samples are rescaled.

Everything is seeded from `seed`: the architectures, each member's initialisation and minibatch
order (its own `torch.Generator`), and the posterior draws.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from astrobench.data.target_checks import (
    check_enough_objects,
    check_not_constant,
    check_valid_targets,
)
from astrobench.errors import TrainingDivergedError
from astrobench.models.conditional_flow import (
    DEPTH_CHOICES,
    WIDTH_RANGE,
    ConditionalFlow,
    build_flow,
    draw_architectures,
)

MIN_OBJECTS = {"train": 20, "val": 5}
MIN_STEPS_PER_EPOCH = 8  # small training sets get smaller batches, so patience means something
_ROWS_PER_BLOCK = 65_536  # rows (objects x draws) pushed through a flow at once when sampling


class FlowSettings(BaseModel):
    """Settings of the flow ensemble; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: int = Field(5, ge=1, description="flows in the ensemble (seed 003 uses 10)")
    samples: int = Field(200, ge=2, description="posterior draws per test object")
    depths: tuple[int, ...] = Field(DEPTH_CHOICES, description="transformations drawn from these")
    width_min: int = Field(WIDTH_RANGE[0], ge=4)
    width_max: int = Field(WIDTH_RANGE[1], ge=4)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(1024, ge=8)
    max_epochs: int = Field(200, ge=1)
    patience: int = Field(6, ge=1, description="epochs without a better validation NLL")


@dataclass
class MemberReport:
    """How one member trained."""

    architecture: dict[str, int]
    epochs_run: int
    best_epoch: int
    val_nll: float  # standardised units, at the best epoch


@dataclass
class FlowEnsemble:
    """Trained members and the standardisation that maps them to data units."""

    members: list[ConditionalFlow]
    x_mean: np.ndarray  # [D]
    x_std: np.ndarray  # [D]
    y_mean: np.ndarray  # [T]
    y_std: np.ndarray  # [T]
    reports: list[MemberReport] = field(default_factory=list)

    def _context(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((np.asarray(x) - self.x_mean) / self.x_std).astype(np.float32))

    @torch.inference_mode()
    def member_log_density(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """log q_m(y | x) of every member in target units, float64 [M, n]."""
        context = self._context(x)
        target = torch.from_numpy(
            ((np.asarray(y).reshape(len(x), -1) - self.y_mean) / self.y_std).astype(np.float32)
        )
        jacobian = float(np.sum(np.log(self.y_std)))
        blocks = range(0, len(context), _ROWS_PER_BLOCK)
        per_member = [
            torch.cat(
                [
                    m.log_prob(target[i : i + _ROWS_PER_BLOCK], context[i : i + _ROWS_PER_BLOCK])
                    for i in blocks
                ]
            )
            for m in self.members
        ]
        return torch.stack(per_member).double().numpy() - jacobian

    @torch.inference_mode()
    def sample(self, x: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
        """`n_samples` draws of the equal mixture for every object, target units [n, S, T].

        The draws are stratified over members (member m gives every object the same share, up
        to one), then shuffled along S so any prefix is still a mixture draw.
        """
        context = self._context(x)
        shares = np.full(len(self.members), n_samples // len(self.members))
        shares[: n_samples % len(self.members)] += 1
        draws = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for member, share in zip(self.members, shares, strict=True):
                if share:
                    draws.append(_sample_blocks(member, context, int(share)))
        samples = np.concatenate(draws, axis=1)  # [n, S, T]
        order = np.random.default_rng([seed, 1]).permutation(n_samples)
        return np.asarray(samples[:, order] * self.y_std + self.y_mean)

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary of every member."""
        return {"members": [vars(r) for r in self.reports]}


def _sample_blocks(member: ConditionalFlow, context: torch.Tensor, share: int) -> np.ndarray:
    per_block = max(1, _ROWS_PER_BLOCK // share)
    blocks = [
        member.sample(context[i : i + per_block], share) for i in range(0, len(context), per_block)
    ]
    return torch.cat(blocks).double().numpy()  # [n, share, T]


def _standardise(
    train: np.ndarray, *others: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[torch.Tensor]]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    tensors = [torch.from_numpy(((a - mean) / std).astype(np.float32)) for a in (train, *others)]
    return mean, std, tensors


def fit_flow_ensemble(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    settings: FlowSettings,
    seed: int,
    columns: Sequence[str] | None = None,
) -> FlowEnsemble:
    """Train `settings.members` flows on (x_train, y_train), early-stopped on (x_val, y_val).

    Args:
        x_train: [n, D] embeddings; y_train: [n] or [n, T] targets (likewise for val).
        settings: ensemble size, architecture ranges, optimiser and stopping settings.
        seed: seeds architectures, initialisation and minibatch order.
        columns: target column names, for error messages.

    Raises:
        DataError: a target column is NaN/inf/sentinel-coded or constant.
        InsufficientDataError: fewer training or validation objects than the ensemble needs.
    """
    y_train = np.asarray(y_train, dtype=np.float64).reshape(len(y_train), -1)
    y_val = np.asarray(y_val, dtype=np.float64).reshape(len(y_val), -1)
    names = list(columns) if columns else [f"target {i}" for i in range(y_train.shape[1])]
    check_enough_objects({"train": len(y_train), "val": len(y_val)}, MIN_OBJECTS, "a flow ensemble")
    check_valid_targets(np.concatenate([y_train, y_val]), names)
    check_not_constant(y_train, names)
    x_mean, x_std, (xt, xv) = _standardise(
        np.asarray(x_train, np.float64), np.asarray(x_val, np.float64)
    )
    y_mean, y_std, (yt, yv) = _standardise(y_train, y_val)
    architectures = draw_architectures(
        settings.members, seed, settings.depths, (settings.width_min, settings.width_max)
    )
    ensemble = FlowEnsemble([], x_mean, x_std, y_mean, y_std)
    for index, architecture in enumerate(architectures):
        member_seed = seed * 1000 + index
        member = build_flow(yt.shape[1], xt.shape[1], architecture, member_seed)
        report = train_member(member, (xt, yt, xv, yv), settings, member_seed)
        ensemble.members.append(member.eval())
        ensemble.reports.append(report)
    return ensemble


def train_member(
    member: ConditionalFlow,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    settings: FlowSettings,
    seed: int,
) -> MemberReport:
    """Adam on the training NLL; keep the weights of the best validation-NLL epoch."""
    x_train, y_train, x_val, y_val = data
    generator = torch.Generator().manual_seed(seed)
    batch = min(settings.batch_size, max(8, -(-len(x_train) // MIN_STEPS_PER_EPOCH)))
    optimizer = torch.optim.Adam(
        member.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    best_nll, best_epoch, best_state = math.inf, 0, copy.deepcopy(member.state_dict())
    epoch = 0
    for epoch in range(1, settings.max_epochs + 1):
        member.train()
        for step, rows in enumerate(torch.randperm(len(x_train), generator=generator).split(batch)):
            optimizer.zero_grad()
            loss = -member.log_prob(y_train[rows], x_train[rows]).mean()
            if not torch.isfinite(loss):
                raise TrainingDivergedError(
                    f"flow training loss is {loss.item()} at epoch {epoch}, step {step} "
                    f"(batch rows {rows[:8].tolist()}...)",
                    "lower the learning rate (setting lr) or check the targets for outliers",
                )
            loss.backward()
            optimizer.step()
        val_nll = _mean_nll(member, x_val, y_val)
        if val_nll < best_nll:
            best_nll, best_epoch, best_state = val_nll, epoch, copy.deepcopy(member.state_dict())
        elif epoch - best_epoch >= settings.patience:
            break
    member.load_state_dict(best_state)
    return MemberReport(member.architecture.describe(), epoch, best_epoch, best_nll)


@torch.inference_mode()
def _mean_nll(member: ConditionalFlow, x: torch.Tensor, y: torch.Tensor) -> float:
    member.eval()
    return float(-member.log_prob(y, x).double().mean())
