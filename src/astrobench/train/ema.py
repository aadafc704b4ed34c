"""Exponential moving average of model weights (seed 000 Table 10: decay 0.9999)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class ModelEma:
    """A frozen copy of a model whose floating-point state follows `decay * ema + (1 - decay) * w`.

    Integer buffers (e.g. BatchNorm's num_batches_tracked) are copied, not averaged.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = float(decay)
        self.module = copy.deepcopy(model).eval()
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average one step toward `model`'s current weights."""
        current = model.state_dict()
        for name, averaged in self.module.state_dict().items():
            value = current[name].detach()
            if averaged.dtype.is_floating_point:
                averaged.lerp_(value.to(averaged.dtype), 1.0 - self.decay)
            else:
                averaged.copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)
