"""Parameter groups: layer-wise learning-rate decay from `Backbone.depth_groups()`, and no weight
decay on norms, biases, position embeddings and class tokens (the BEiT/MAE fine-tuning recipe)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

_NO_DECAY_NAME_PARTS = (
    "pos_embed",
    "cls_token",
    "dist_token",
    "reg_token",
    "mask_token",
    "position_embedding",
)


def skips_weight_decay(name: str, parameter: nn.Parameter) -> bool:
    """True for biases, norm scales (1-D tensors) and learned position/class tokens."""
    return parameter.ndim <= 1 or any(part in name for part in _NO_DECAY_NAME_PARTS)


def layer_scales(n_groups: int, layer_decay: float) -> list[float]:
    """lr scale per depth group: group i of L+2 groups (stem, L blocks, final norm) gets
    decay**(L+1-i); anything above the backbone (the head) gets 1."""
    last = n_groups - 1
    return [float(layer_decay ** (last - i)) for i in range(n_groups)]


def param_groups(
    model: nn.Module,
    weight_decay: float,
    depth_groups: list[list[str]] | None = None,
    layer_decay: float = 1.0,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """Optimizer parameter groups for `model` (frozen parameters included, so that unfreezing
    later needs no new optimizer).

    Args:
        model: the whole trained module (backbone + head).
        weight_decay: decoupled weight decay for matrices; 0 for norms/biases/tokens.
        depth_groups: the backbone's `depth_groups()` (names relative to the backbone).
        layer_decay: lr multiplier per level of depth below the top; 1 disables decay.
        prefix: where the backbone sits inside `model` (e.g. "backbone.").

    Returns:
        Groups with "params", "weight_decay" and "lr_scale" (the Trainer multiplies lr by it).
    """
    depth_of: dict[str, int] = {}
    scales = [1.0]
    if depth_groups:
        scales = (
            layer_scales(len(depth_groups), layer_decay)
            if layer_decay != 1.0
            else [1.0] * len(depth_groups)
        )
        for depth, names in enumerate(depth_groups):
            for name in names:
                depth_of[prefix + name] = depth
    buckets: dict[tuple[float, float], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        scale = scales[depth_of[name]] if name in depth_of else 1.0
        decay = 0.0 if skips_weight_decay(name, parameter) else weight_decay
        buckets.setdefault((scale, decay), []).append(parameter)
    return [
        {"params": params, "weight_decay": decay, "lr_scale": scale}
        for (scale, decay), params in sorted(buckets.items(), key=lambda item: item[0])
    ]


def trainable_names(model: nn.Module) -> list[str]:
    """Names of parameters that require gradients."""
    return [name for name, p in model.named_parameters() if p.requires_grad]


def set_trainable(model: nn.Module, names: Iterable[str] | None) -> None:
    """Train exactly `names` (None: everything)."""
    wanted = None if names is None else set(names)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(wanted is None or name in wanted)
