"""`TimmBackbone`: the uniform Backbone API over any timm model (ViTs, CNNs, hybrids).

Used by timm specs, the built-in ViTs and our own checkpoints (which are timm ViTs).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.depth_groups import timm_depth_groups
from astrobench.models.vit import POOLINGS, set_vit_pooling


def is_token_model(model: nn.Module) -> bool:
    """True for transformer-like timm models whose pooling is a string (token / avg)."""
    return isinstance(getattr(model, "global_pool", None), str) and hasattr(model, "blocks")


class TimmBackbone(Backbone):
    """A timm model (built with num_classes=0) as a Backbone.

    `forward_features` is timm's `forward_head(forward_features(x), pre_logits=True)`: the
    pooled embedding [B, D] (class token or mean of patch tokens for ViTs, global average for
    CNNs).
    """

    def __init__(self, model: Any, meta: BackboneMeta) -> None:
        super().__init__()
        self.model: Any = model
        self.meta = meta
        if meta.pooling in POOLINGS and is_token_model(model):
            set_vit_pooling(model, meta.pooling)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        features = self.model.forward_features(x)  # [B, N, D] or [B, D, h, w]
        return self.model.forward_head(features, pre_logits=True)  # [B, D]

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        features = self.model.forward_features(x)
        if features.ndim == 4:  # CNN feature map [B, D, h, w] -> [B, h*w, D]
            return features.flatten(2).transpose(1, 2)
        prefix = int(getattr(self.model, "num_prefix_tokens", 0))
        return features[:, prefix:]  # patch tokens [B, N, D]

    def forward_intermediates(self, x: torch.Tensor, indices: list[int]) -> list[torch.Tensor]:
        """timm's `forward_intermediates` (ViTs and most CNNs): feature maps [B, D, h, w]."""
        if not hasattr(self.model, "forward_intermediates"):
            return super().forward_intermediates(x, indices)
        n_blocks = len(self.depth_groups()) - 2
        wanted = [i % n_blocks for i in indices]
        return list(self.model.forward_intermediates(x, indices=wanted, intermediates_only=True))

    def depth_groups(self) -> list[list[str]]:
        return timm_depth_groups(self.model, prefix="model.")


def resolve_pooling(model: nn.Module, requested: str | None, default_token_pooling: str) -> str:
    """The pooling a timm model will use: "cls"/"mean" for ViTs, "avg" for CNNs."""
    if not is_token_model(model):
        if requested not in (None, "mean", "avg"):
            raise ConfigError(
                f"pooling {requested!r} needs a transformer; this model pools by global average",
                "drop the pooling option or use pooling=mean",
            )
        return "avg"
    pooling = requested or default_token_pooling
    if pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}", f"choose one of {', '.join(POOLINGS)}")
    return pooling
