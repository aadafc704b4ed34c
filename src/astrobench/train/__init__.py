"""The one training runtime every training path uses (fine-tuning protocols, pretraining).

from astrobench.train import TrainConfig, Trainer
history = Trainer(model, loss_fn, dataset, TrainConfig(epochs=5), "runs/x").fit(resume=True)
"""

from astrobench.train.config import TrainConfig
from astrobench.train.history import EpochRecord, TrainHistory
from astrobench.train.loop import TrainState, train_one_epoch
from astrobench.train.trainer import Trainer

__all__ = ["EpochRecord", "TrainConfig", "TrainHistory", "TrainState", "Trainer", "train_one_epoch"]
