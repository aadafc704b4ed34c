"""`scratch`: the same architecture from random weights, every weight trained (the baseline of
seed 000 Table 11 and seed 004's "no pretraining")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable


@torch.no_grad()
def reinitialise(module: nn.Module) -> None:
    """Fresh random weights: `reset_parameters()` where a layer has one; other parameters get
    truncated-normal(0.02) (class tokens, position embeddings) or 1e-5 (layer scales)."""
    covered: set[int] = set()
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset) and sub is not module:
            reset()
            covered.update(id(p) for p in sub.parameters(recurse=False))
    for name, parameter in module.named_parameters():
        if id(parameter) in covered:
            continue
        if name.endswith("gamma"):  # layer scale (timm LayerScale, ConvNeXt)
            parameter.fill_(1e-5)
        else:  # class / register tokens, position embeddings
            nn.init.trunc_normal_(parameter, std=0.02)


@trained_protocol("scratch", random_init=True, drop_path=0.1)
def prepare_scratch(
    model: BackboneWithHead, settings: Mapping[str, Any], config: TrainConfig
) -> Prepared:
    """All weights train from random initialisation, no layer-wise decay."""
    set_trainable(model, None)
    return Prepared(default_groups(model, config, 1.0), info={"init": "random"})
