"""What every protocol takes and returns, frozen or trained, so the runner treats them alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from astrobench.tasks.base import Task
from astrobench.tasks.predictions import Predictions


@dataclass
class ProtocolRequest:
    """One cell of the ladder: adapt `backbone` to `task` on `data` with these labels and seed."""

    backbone: str  # a backbone spec, e.g. "vit_tiny_p8" or "ckpt:runs/mae/encoder.safetensors"
    data: Path
    task: Task
    fraction: float = 1.0  # label fraction of the train split (nested, stratified)
    seed: int = 0
    n_per_class: int | None = None  # few-shot instead of a fraction when set
    # The protocol's settings: a dict, checked against the protocol's settings model, or the model.
    settings: Mapping[str, Any] | BaseModel = field(default_factory=dict)
    work_dir: Path | None = None  # checkpoints / caches for this cell
    cache_dir: Path | None = None  # shared embedding cache


@dataclass
class ProtocolResult:
    """Test-split predictions and their scores, plus cost; one per (protocol, fraction, seed)."""

    protocol: str
    target: str
    fraction: float
    seed: int
    metrics: dict[str, float]
    hyperparameters: dict[str, Any]
    n_train: int
    n_val: int
    n_test: int
    predictions: Predictions
    params_total: int = 0
    params_trainable: int = 0
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    throughput_per_second: float = 0.0  # images (or embeddings) per second in evaluation
    peak_memory_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def y_true(self) -> np.ndarray:
        return self.predictions.y_true

    @property
    def y_pred(self) -> np.ndarray:
        return self.predictions.y_pred

    @property
    def probabilities(self) -> np.ndarray | None:
        return self.predictions.probabilities

    @property
    def test_indices(self) -> np.ndarray | None:
        return self.predictions.indices

    def record(self) -> dict[str, Any]:
        """JSON-able summary (no arrays)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "predictions"}

    def save_predictions(self, path: Path, task: Task | None = None) -> Path:
        """The predictions file (see tasks.predictions for its layout)."""
        return self.predictions.save(path, task.describe() if task is not None else None)


class ProtocolFn(Protocol):
    """A registered protocol: answers a request with test predictions and scores."""

    settings_model: type[BaseModel]

    def __call__(self, request: ProtocolRequest) -> ProtocolResult: ...
