"""Fresh random weights for any backbone: the `scratch` protocol and `?init=random` baselines."""

from __future__ import annotations

import torch
from torch import nn


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
