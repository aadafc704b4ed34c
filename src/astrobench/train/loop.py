"""The inner loop: one epoch of forward, backward, (accumulate,) step. Setup lives in trainer.py."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from astrobench.train.distributed import DistributedContext, all_ranks_true, average_gradients
from astrobench.train.ema import ModelEma
from astrobench.train.nonfinite import NonfiniteGuard
from astrobench.train.precision import Precision

LossFn = Callable[[nn.Module, dict[str, Any]], torch.Tensor]
# Test-only hook: SIGKILL this process right after optimizer step n (and its checkpoint, if due).
KILL_AT_STEP_ENV = "ASTROBENCH_TEST_KILL_AT_STEP"


@dataclass
class TrainState:
    """Everything that changes while training and must be checkpointed."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    precision: Precision
    ema: ModelEma | None
    epoch: int = 0
    batch_in_epoch: int = 0  # micro-batches of `epoch` already trained
    global_step: int = 0  # optimizer steps taken


@dataclass
class EpochTotals:
    """Sums over the micro-batches of one (possibly resumed) epoch on this rank."""

    loss_sum: float = 0.0
    n_batches: int = 0
    n_samples: int = 0


@dataclass
class LoopSettings:
    """Fixed inputs of the loop."""

    grad_accum_steps: int
    clip_grad_norm: float | None
    device: torch.device
    context: DistributedContext
    guard: NonfiniteGuard
    batches_in_epoch: int  # total micro-batches of a full epoch on this rank


def to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    """Move every tensor of a batch to `device`."""
    non_blocking = device.type == "cuda"
    return {
        k: v.to(device, non_blocking=non_blocking) if isinstance(v, torch.Tensor) else v
        for k, v in batch.items()
    }


def batch_size_of(batch: Mapping[str, Any]) -> int:
    """Number of samples in a batch (the leading size of its first tensor)."""
    for value in batch.values():
        if isinstance(value, torch.Tensor) and value.ndim > 0:
            return int(value.shape[0])
    return 0


def train_one_epoch(
    state: TrainState,
    batches: Iterable[dict[str, Any]],
    loss_fn: LossFn,
    settings: LoopSettings,
    on_step: Callable[[TrainState], None] | None = None,
) -> EpochTotals:
    """Train on `batches` (the rest of epoch `state.epoch`), stepping every grad_accum_steps."""
    totals = EpochTotals()
    state.model.train()
    finite_in_window = 0  # micro-batches of the current accumulation window that made gradients
    for batch in batches:
        batch = to_device(batch, settings.device)
        with state.precision.autocast():
            loss = loss_fn(state.model, batch)
        loss_value = float(loss.detach().float().item())
        finite = all_ranks_true(
            bool(torch.isfinite(loss.detach()).all()), settings.context, settings.device
        )
        if finite:
            state.precision.scaler.scale(loss / settings.grad_accum_steps).backward()
            finite_in_window += 1
            totals.loss_sum += loss_value
            totals.n_batches += 1
        else:
            settings.guard.handle(
                loss_value, batch, state.epoch, state.global_step, state.batch_in_epoch
            )
        totals.n_samples += batch_size_of(batch)
        state.batch_in_epoch += 1
        window_done = state.batch_in_epoch % settings.grad_accum_steps == 0
        if window_done or state.batch_in_epoch == settings.batches_in_epoch:
            optimizer_step(state, settings, has_gradients=finite_in_window > 0)
            finite_in_window = 0
            if on_step is not None:
                on_step(state)
            kill_if_requested(state.global_step)
    return totals


def optimizer_step(state: TrainState, settings: LoopSettings, has_gradients: bool = True) -> None:
    """Average gradients over ranks, unscale, clip, step, update EMA and the lr schedule.

    A window whose every batch was skipped as non-finite has no gradients: the weights and EMA
    stay as they are (fp16's GradScaler cannot step without them), while the schedule and the
    step count still advance, so they stay tied to the position in the data.
    """
    if not has_gradients:
        state.optimizer.zero_grad(set_to_none=True)
        state.scheduler.step()
        state.global_step += 1
        return
    scaler = state.precision.scaler
    average_gradients(state.model, settings.context)
    if settings.clip_grad_norm is not None:
        scaler.unscale_(state.optimizer)
        params = [p for p in state.model.parameters() if p.grad is not None]
        torch.nn.utils.clip_grad_norm_(params, settings.clip_grad_norm)
    scaler.step(state.optimizer)
    scaler.update()
    state.optimizer.zero_grad(set_to_none=True)
    if state.ema is not None:
        state.ema.update(state.model)
    state.scheduler.step()
    state.global_step += 1


def kill_if_requested(global_step: int) -> None:
    """Test-only: SIGKILL this process after step ASTROBENCH_TEST_KILL_AT_STEP (crash tests)."""
    wanted = os.environ.get(KILL_AT_STEP_ENV)
    if wanted is not None and wanted.strip() == str(global_step):
        os.kill(os.getpid(), signal.SIGKILL)
