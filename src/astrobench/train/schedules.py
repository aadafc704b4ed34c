"""Learning-rate schedules as pure functions of the optimizer step.

- cosine: linear warmup, then cosine decay from lr to min_lr (seed 000 Tables 10-12).
- multistep: linear warmup, then lr * gamma**(milestones passed)
  (seed 000 Table 11: [160, 230, 290]).
- cyclic: AstroMAE fine-tuning (seed 001 §III-A-1b: "restarts the lr every 10 epochs, then
  decreases exponentially using 0.995^epoch"). The lr restarts every `cycle_epochs` epochs to a
  peak that decays over the whole run, cycle_decay**(epoch of the restart); within a cycle it
  anneals from that peak to min_lr along a half cosine (the warm-restart shape of SGDR,
  Loshchilov & Hutter; the paper names the restart period and the envelope, not the shape
  within a cycle):

      e = step / steps_per_epoch,  r = cycle_epochs * floor(e / cycle_epochs)
      factor = m + (cycle_decay**r - m) * (1 + cos(pi * (e - r) / cycle_epochs)) / 2,
      m = min_lr / lr

  After 700 epochs (Table I) the peak is 0.995**690 = 0.031 of the initial lr.
- constant: warmup, then flat.

The factor multiplies each parameter group's base lr, so layer-wise decay scales are kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from astrobench.train.config import TrainConfig


def lr_factor_fn(config: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """factor(step) by which the base lr is multiplied at optimizer step `step` (0-based)."""
    steps_per_epoch = max(int(steps_per_epoch), 1)
    warmup_steps = round(config.warmup_epochs * steps_per_epoch)
    total_steps = max(config.epochs * steps_per_epoch, 1)
    min_factor = config.min_lr / config.lr

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        epoch = step / steps_per_epoch
        if config.schedule == "cosine":
            progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
            progress = min(progress, 1.0)
            return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))
        if config.schedule == "multistep":
            passed = sum(1 for m in config.milestones if epoch >= m)
            return float(config.gamma**passed)
        if config.schedule == "cyclic":
            return cyclic_factor(epoch, config.cycle_epochs, config.cycle_decay, min_factor)
        return 1.0

    return factor


def cyclic_factor(epoch: float, cycle_epochs: int, decay: float, min_factor: float) -> float:
    """The cyclic schedule's factor at (fractional) `epoch`; see the module docstring."""
    restart = cycle_epochs * math.floor(epoch / cycle_epochs)
    peak = max(float(decay**restart), min_factor)
    phase = (epoch - restart) / cycle_epochs  # 0 at a restart, -> 1 at the end of the cycle
    return min_factor + (peak - min_factor) * 0.5 * (1 + math.cos(math.pi * phase))


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR stepping once per optimizer step; its state_dict holds only plain values."""
    factor = lr_factor_fn(config, steps_per_epoch)

    def lr_lambda(step: int) -> float:  # a plain function: LambdaLR does not pickle it
        return factor(step)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
