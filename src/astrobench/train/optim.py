"""Optimizer construction from a TrainConfig and parameter groups."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from astrobench.train.config import TrainConfig
from astrobench.train.layer_decay import param_groups as default_param_groups


def build_optimizer(
    model: nn.Module, config: TrainConfig, groups: list[dict[str, Any]] | None = None
) -> torch.optim.Optimizer:
    """AdamW (or SGD with Nesterov momentum); each group's lr is config.lr * its "lr_scale".

    Frozen parameters are included so that unfreezing later keeps the same optimizer.
    """
    groups = groups if groups is not None else default_param_groups(model, config.weight_decay)
    prepared = []
    for group in groups:
        group = dict(group)
        group["params"] = list(group["params"])
        group.setdefault("lr_scale", 1.0)
        group.setdefault("weight_decay", config.weight_decay)
        group["lr"] = config.lr * float(group["lr_scale"])
        prepared.append(group)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            prepared,
            lr=config.lr,
            momentum=config.momentum,
            nesterov=True,
            weight_decay=config.weight_decay,
        )
    return torch.optim.AdamW(
        prepared, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay
    )
