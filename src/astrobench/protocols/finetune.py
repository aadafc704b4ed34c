"""`finetune`: train every weight, with layer-wise lr decay (seed 000 Table 10: 0.65-0.75)."""

from __future__ import annotations

from pydantic import Field

from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.settings import TrainedSettings
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable

DEFAULT_LAYER_DECAY = 0.75


class FinetuneSettings(TrainedSettings):
    """Training settings plus the layer-wise lr decay."""

    layer_decay: float = Field(default=DEFAULT_LAYER_DECAY, gt=0, le=1)


@trained_protocol("finetune", FinetuneSettings, drop_path=0.1)
def prepare_finetune(
    model: BackboneWithHead, settings: FinetuneSettings, config: TrainConfig
) -> Prepared:
    """All weights train; group i of the backbone's L+2 depth groups gets lr * decay**(L+1-i)."""
    layer_decay = settings.layer_decay
    set_trainable(model, None)
    return Prepared(default_groups(model, config, layer_decay), info={"layer_decay": layer_decay})
