"""Stochastic depth (drop path) switched on in an already-built backbone.

timm builds its models with `drop_path_rate=0` unless told otherwise, leaving `nn.Identity` in
each residual branch (`drop_path`, `drop_path1`, `drop_path2`). Fine-tuning recipes (seed 000
Table 10: 0.1) want it on, whatever built the model — hub weights, our checkpoints or a random
init — so we set it afterwards: the rate rises linearly from 0 at the first block to `rate` at
the last, as in timm's own schedule.
"""

from __future__ import annotations

from timm.layers import DropPath
from torch import nn

_SITE_PREFIX = "drop_path"


def set_drop_path(model: nn.Module, rate: float) -> int:
    """Set every drop-path site of `model` (timm naming); returns the number of blocks touched."""
    if not 0.0 <= rate < 1.0:
        from astrobench.errors import ConfigError

        raise ConfigError(f"drop path rate must be in [0, 1), got {rate}")
    blocks = [
        module
        for module in model.modules()
        if any(_is_site(name, child) for name, child in module.named_children())
    ]
    for depth, block in enumerate(blocks):
        block_rate = rate * depth / max(len(blocks) - 1, 1)
        for name, child in list(block.named_children()):
            if _is_site(name, child):
                setattr(block, name, DropPath(block_rate) if block_rate > 0 else nn.Identity())
    return len(blocks)


def _is_site(name: str, child: nn.Module) -> bool:
    return name.startswith(_SITE_PREFIX) and isinstance(child, (nn.Identity, DropPath))
