"""What happens when a loss is NaN or infinite: stop with the step and the object indices of the
batch ("raise"), or skip that batch and carry on, up to a limit ("skip")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from astrobench.errors import TrainingDivergedError


@dataclass
class SkippedBatch:
    """A batch whose loss was not finite (kept in the run history)."""

    epoch: int
    step: int  # optimizer step the batch belonged to
    batch_in_epoch: int
    loss: float
    indices: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "step": self.step,
            "batch_in_epoch": self.batch_in_epoch,
            "loss": self.loss,
            "indices": self.indices,
        }


@dataclass
class NonfiniteGuard:
    """Applies the non-finite loss policy and remembers skipped batches."""

    policy: str = "raise"
    max_skipped: int = 10
    skipped: list[SkippedBatch] = field(default_factory=list)

    def handle(
        self, loss: float, batch: dict[str, Any], epoch: int, step: int, batch_in_epoch: int
    ) -> None:
        """Called on a non-finite loss: TrainingDivergedError unless the batch may be skipped."""
        indices = batch_indices(batch)
        where = f"at step {step} (epoch {epoch}, batch {batch_in_epoch})"
        shown = ", ".join(str(i) for i in indices[:50]) + (" ..." if len(indices) > 50 else "")
        if self.policy == "skip" and len(self.skipped) < self.max_skipped:
            self.skipped.append(SkippedBatch(epoch, step, batch_in_epoch, loss, indices))
            return
        reason = (
            f"more than {self.max_skipped} batches skipped; last " if self.policy == "skip" else ""
        )
        raise TrainingDivergedError(
            f"training diverged: {reason}loss is {loss} {where}; "
            f"object indices of the batch: [{shown}]",
            "lower the learning rate, check these objects for bad pixels or labels, "
            "or use nonfinite_policy='skip'",
        )


def batch_indices(batch: dict[str, Any]) -> list[int]:
    """Object indices of a batch (`batch["index"]`), or [] when the batch has none."""
    index = batch.get("index") if isinstance(batch, dict) else None
    if index is None:
        return []
    if isinstance(index, torch.Tensor):
        return [int(i) for i in index.reshape(-1).tolist()]
    return [int(i) for i in index]
