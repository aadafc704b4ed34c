"""`partial`: train only the top k blocks of the backbone, its final norm, and the head."""

from __future__ import annotations

from pydantic import Field

from astrobench.errors import ConfigError
from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.settings import TrainedSettings
from astrobench.protocols.trained import Prepared, backbone_prefix, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable

DEFAULT_BLOCKS = 2


def top_block_names(model: BackboneWithHead, n_blocks: int) -> list[str]:
    """Parameter names of the top `n_blocks` block groups, the final norm and the head."""
    groups = model.backbone.depth_groups()  # [stem, block 1..L, final norm]
    n_available = len(groups) - 2
    if not 0 <= n_blocks <= n_available:
        raise ConfigError(
            f"--blocks {n_blocks} is out of range: this backbone has {n_available} blocks",
            f"use a number from 0 to {n_available}",
        )
    chosen = groups[len(groups) - 1 - n_blocks :]  # top k blocks + final norm
    names = [backbone_prefix() + name for group in chosen for name in group]
    return names + [name for name, _ in model.head.named_parameters(prefix="head")]


class PartialSettings(TrainedSettings):
    """Training settings plus how many top blocks train, and their layer-wise lr decay."""

    blocks: int = Field(default=DEFAULT_BLOCKS, ge=0)
    layer_decay: float = Field(default=1.0, gt=0, le=1)


@trained_protocol("partial", PartialSettings)
def prepare_partial(
    model: BackboneWithHead, settings: PartialSettings, config: TrainConfig
) -> Prepared:
    """Freeze everything below the top `blocks` blocks."""
    n_blocks = settings.blocks
    set_trainable(model, top_block_names(model, n_blocks))
    layer_decay = settings.layer_decay
    return Prepared(default_groups(model, config, layer_decay), info={"blocks": n_blocks})
