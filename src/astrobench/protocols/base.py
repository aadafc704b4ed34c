"""What every protocol takes and returns, frozen or trained, so the runner treats them alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from astrobench.tasks.task import TaskSpec


@dataclass
class ProtocolRequest:
    """One cell of the ladder: adapt `backbone` to `task` on `data` with these labels and seed."""

    backbone: str  # a backbone spec, e.g. "vit_tiny_p8" or "ckpt:runs/mae/encoder.safetensors"
    data: Path
    task: TaskSpec
    fraction: float = 1.0  # label fraction of the train split (nested, stratified)
    seed: int = 0
    n_per_class: int | None = None  # few-shot instead of a fraction when set
    settings: dict[str, Any] = field(default_factory=dict)  # protocol-specific options
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
    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray | None = None  # [n_test, n_classes] for classification
    test_indices: np.ndarray | None = None  # object indices of the test rows
    params_total: int = 0
    params_trainable: int = 0
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    throughput_per_second: float = 0.0  # images (or embeddings) per second in evaluation
    peak_memory_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """JSON-able summary (no arrays)."""
        skip = {"y_true", "y_pred", "probabilities", "test_indices"}
        return {k: v for k, v in asdict(self).items() if k not in skip}

    def save_predictions(self, path: Path) -> None:
        """predictions .npz: y_true, y_pred, and probabilities / test_indices when present."""
        from astrobench.atomic import atomic_path

        arrays = {"y_true": self.y_true, "y_pred": self.y_pred}
        if self.probabilities is not None:
            arrays["probabilities"] = self.probabilities
        if self.test_indices is not None:
            arrays["test_indices"] = self.test_indices
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool


class ProtocolFn(Protocol):
    """A registered protocol: `@register_protocol("knn")` on a function of this shape."""

    def __call__(self, request: ProtocolRequest) -> ProtocolResult: ...
