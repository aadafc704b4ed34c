"""`unfreeze`: train the head alone for N epochs, then every weight (seed 002 section 3.2.4:
the backbone is unfrozen after ten epochs so the new head can settle first)."""

from __future__ import annotations

from pydantic import Field
from torch import nn

from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.settings import TrainedSettings
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable

DEFAULT_UNFREEZE_AFTER = 10


def head_names(model: BackboneWithHead) -> list[str]:
    return [name for name, _ in model.head.named_parameters(prefix="head")]


class UnfreezeSettings(TrainedSettings):
    """Training settings plus the head-only epochs and the layer-wise lr decay."""

    unfreeze_after: int = Field(default=DEFAULT_UNFREEZE_AFTER, ge=0)
    layer_decay: float = Field(default=1.0, gt=0, le=1)


@trained_protocol("unfreeze", UnfreezeSettings)
def prepare_unfreeze(
    model: BackboneWithHead, settings: UnfreezeSettings, config: TrainConfig
) -> Prepared:
    """Head only for epochs < unfreeze_after, everything from then on (a function of the epoch,
    so a resumed run freezes exactly as the original did)."""
    unfreeze_after, layer_decay = settings.unfreeze_after, settings.layer_decay
    groups = default_groups(model, config, layer_decay)
    head_only = head_names(model)

    def on_epoch_start(module: nn.Module, epoch: int) -> None:
        set_trainable(module, None if epoch >= unfreeze_after else head_only)

    on_epoch_start(model, 0)
    return Prepared(groups, on_epoch_start, info={"unfreeze_after": unfreeze_after})
