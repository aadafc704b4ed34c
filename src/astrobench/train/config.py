"""TrainConfig: every knob of the one training runtime, as a typed dataclass.

Defaults follow the C-MAE fine-tuning recipe (seed 000, Table 10): AdamW with betas (0.9, 0.999),
warmup then cosine decay. `config_hash` identifies the settings that change the trajectory, so a
resume with different settings is refused instead of silently mixing two runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from astrobench.errors import ConfigError

Schedule = Literal["cosine", "multistep", "cyclic", "constant"]
PrecisionName = Literal["fp32", "bf16", "fp16"]
NonfinitePolicy = Literal["raise", "skip"]
DeviceName = Literal["auto", "cpu", "cuda", "mps"]
OptimizerName = Literal["adamw", "sgd"]

# Settings that do not change the numbers a run produces; left out of the config hash.
# (`epochs` is not among them: it sets the length of the cosine schedule.)
_HASH_EXCLUDED = frozenset(
    {
        "num_workers",
        "checkpoint_every",
        "checkpoint_every_steps",
        "keep_every_k",
        "device",
    }
)


@dataclass
class TrainConfig:
    """Settings of one training run. `batch_size` is per process (per rank under torchrun)."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.05
    betas: tuple[float, float] = (0.9, 0.999)
    optimizer: OptimizerName = "adamw"
    momentum: float = 0.9  # SGD only (Nesterov), seed 000 Table 11
    warmup_epochs: float = 0.0
    schedule: Schedule = "cosine"
    min_lr: float = 0.0
    milestones: tuple[int, ...] = ()  # multistep: epochs where lr is multiplied by `gamma`
    gamma: float = 0.1
    cycle_epochs: int = 10  # cyclic (AstroMAE): restart every this many epochs ...
    cycle_decay: float = 0.995  # ... to a peak of cycle_decay**epoch (see train/schedules.py)
    precision: PrecisionName = "fp32"
    grad_accum_steps: int = 1
    clip_grad_norm: float | None = None
    ema_decay: float | None = None  # None: no EMA; seed 000 uses 0.9999
    seed: int = 0
    num_workers: int = 0
    checkpoint_every: int = 1  # epochs between "last" checkpoints
    checkpoint_every_steps: int | None = None  # also checkpoint mid-epoch every this many steps
    keep_every_k: int | None = None  # keep a permanent copy every k epochs
    nonfinite_policy: NonfinitePolicy = "raise"
    max_skipped_batches: int = 10
    device: DeviceName = "auto"
    early_stopping_patience: int | None = None  # epochs without improvement before stopping
    monitor: str | None = None  # key of evaluate_fn's dict to select on; None: its first key
    monitor_higher_is_better: bool = True
    drop_last: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # free-form, recorded in checkpoints
    # What the run trains on (train/run_identity.py): data sha256, target, protocol, fraction,
    # backbone, seed, pooling. Hashed, so a resume of another run is refused.
    identity: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.betas = (float(self.betas[0]), float(self.betas[1]))
        self.milestones = tuple(int(m) for m in self.milestones)
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError on a value that cannot work."""
        checks = [
            (self.epochs >= 0, f"epochs must be >= 0, got {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.grad_accum_steps >= 1, "grad_accum_steps must be >= 1"),
            (self.warmup_epochs >= 0, "warmup_epochs must be >= 0"),
            (
                self.schedule in ("cosine", "multistep", "cyclic", "constant"),
                f"unknown schedule {self.schedule!r}",
            ),
            (self.precision in ("fp32", "bf16", "fp16"), f"unknown precision {self.precision!r}"),
            (
                self.nonfinite_policy in ("raise", "skip"),
                f"unknown nonfinite_policy {self.nonfinite_policy!r}",
            ),
            (self.device in ("auto", "cpu", "cuda", "mps"), f"unknown device {self.device!r}"),
            (self.optimizer in ("adamw", "sgd"), f"unknown optimizer {self.optimizer!r}"),
            (
                self.ema_decay is None or 0 < self.ema_decay < 1,
                "ema_decay must be in (0, 1) or None",
            ),
            (self.checkpoint_every >= 1, "checkpoint_every must be >= 1"),
            (self.num_workers >= 0, "num_workers must be >= 0"),
            (self.cycle_epochs >= 1, "cycle_epochs must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message, "fix the training configuration")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able plain dict (tuples become lists)."""
        return json.loads(json.dumps(asdict(self), default=str))

    def hashed_settings(self) -> dict[str, Any]:
        """The settings that change the numbers a run produces (identity included)."""
        return {k: v for k, v in self.to_dict().items() if k not in _HASH_EXCLUDED}

    def config_hash(self) -> str:
        """sha256 (16 hex) of `hashed_settings`."""
        blob = json.dumps(self.hashed_settings(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
