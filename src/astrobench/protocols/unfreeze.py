"""`unfreeze`: train the head alone for N epochs, then every weight (seed 002 section 3.2.4:
the backbone is unfrozen after ten epochs so the new head can settle first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable

DEFAULT_UNFREEZE_AFTER = 10


def head_names(model: BackboneWithHead) -> list[str]:
    return [name for name, _ in model.head.named_parameters(prefix="head")]


@trained_protocol("unfreeze")
def prepare_unfreeze(
    model: BackboneWithHead, settings: Mapping[str, Any], config: TrainConfig
) -> Prepared:
    """Head only for epochs < unfreeze_after, everything from then on (a function of the epoch,
    so a resumed run freezes exactly as the original did)."""
    unfreeze_after = int(settings.get("unfreeze_after", DEFAULT_UNFREEZE_AFTER))
    layer_decay = float(settings.get("layer_decay", 1.0))
    groups = default_groups(model, config, layer_decay)
    head_only = head_names(model)

    def on_epoch_start(module: nn.Module, epoch: int) -> None:
        set_trainable(module, None if epoch >= unfreeze_after else head_only)

    on_epoch_start(model, 0)
    return Prepared(groups, on_epoch_start, info={"unfreeze_after": unfreeze_after})
