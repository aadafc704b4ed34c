"""The one training runtime every training path uses (fine-tuning protocols, pretraining).

from astrobench.train import TrainConfig, Trainer
history = Trainer(model, loss_fn, dataset, TrainConfig(epochs=5), "runs/x").fit(resume=True)

The names load lazily (PEP 562): `astrobench.train.config` is imported by the command line to
derive option defaults, and must not pull in torch (about 600 MB and seconds) for commands that
never train, such as `data info` on a file it will refuse.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astrobench.train.config import TrainConfig
    from astrobench.train.history import EpochRecord, TrainHistory
    from astrobench.train.loop import TrainState, train_one_epoch
    from astrobench.train.trainer import Trainer

_WHERE = {
    "TrainConfig": "astrobench.train.config",
    "EpochRecord": "astrobench.train.history",
    "TrainHistory": "astrobench.train.history",
    "TrainState": "astrobench.train.loop",
    "train_one_epoch": "astrobench.train.loop",
    "Trainer": "astrobench.train.trainer",
}

__all__ = ["EpochRecord", "TrainConfig", "TrainHistory", "TrainState", "Trainer", "train_one_epoch"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'astrobench.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
