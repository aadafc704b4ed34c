"""`scratch`: the same architecture from random weights, every weight trained (the baseline of
seed 000 Table 11 and seed 004's "no pretraining")."""

from __future__ import annotations

from astrobench.models.heads import BackboneWithHead
from astrobench.protocols.settings import TrainedSettings
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable


@trained_protocol("scratch", TrainedSettings, random_init=True, drop_path=0.1)
def prepare_scratch(
    model: BackboneWithHead, settings: TrainedSettings, config: TrainConfig
) -> Prepared:
    """All weights train from random initialisation, no layer-wise decay."""
    set_trainable(model, None)
    return Prepared(default_groups(model, config, 1.0), info={"init": "random"})
