"""`scratch`: the same architecture from random weights, every weight trained (the baseline of
seed 000 Table 11 and seed 004's "no pretraining")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from astrobench.models.heads import BackboneWithHead
from astrobench.models.reinit import reinitialise
from astrobench.protocols.trained import Prepared, default_groups, trained_protocol
from astrobench.train import TrainConfig
from astrobench.train.layer_decay import set_trainable

__all__ = ["prepare_scratch", "reinitialise"]


@trained_protocol("scratch", random_init=True, drop_path=0.1)
def prepare_scratch(
    model: BackboneWithHead, settings: Mapping[str, Any], config: TrainConfig
) -> Prepared:
    """All weights train from random initialisation, no layer-wise decay."""
    set_trainable(model, None)
    return Prepared(default_groups(model, config, 1.0), info={"init": "random"})
