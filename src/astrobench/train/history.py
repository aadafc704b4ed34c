"""What a training run reports: one record per epoch, the best epoch, skipped batches."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EpochRecord:
    """Summary of one epoch."""

    epoch: int
    train_loss: float
    images_per_second: float
    seconds: float
    lr: float
    steps: int
    val: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainHistory:
    """Per-epoch records plus selection and stopping information."""

    epochs: list[EpochRecord] = field(default_factory=list)
    best_epoch: int | None = None
    best_metric: float | None = None
    monitor: str | None = None
    stopped_early: bool = False
    skipped_batches: list[dict[str, Any]] = field(default_factory=list)
    resumed_from: str | None = None
    global_steps: int = 0
    train_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainHistory:
        records = [EpochRecord(**r) for r in data.get("epochs", [])]
        rest = {k: v for k, v in data.items() if k != "epochs"}
        return cls(epochs=records, **rest)

    @property
    def final_loss(self) -> float | None:
        return self.epochs[-1].train_loss if self.epochs else None
