"""What the training protocols (finetune, partial, unfreeze, lora, scratch) share.

A training protocol is a `TrainedMode`: how to prepare the backbone + head (which weights
train, their parameter groups, an epoch hook). `run_trained_protocol` does the rest with the
one runtime in `astrobench.train`: same cells as the frozen protocols, selection of the best
epoch on the validation split, test predictions scored by `score_task`, and cost columns.

Settings (ProtocolRequest.settings) understood here: any TrainConfig field (epochs, lr,
batch_size, precision, ema_decay, num_workers, device, ...), `augment` (a name of
protocols/augment.py: "flip" default, "none", "flip_rotate", "astromae", "flip+noise0.2", ...),
`loss` ("mse" or "huber" for regression), `label_smoothing`, `class_weights` ("balanced" or a
list), `head_dropout`, `resume`, `split_seed`.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset
from astrobench.metrics.scoring import score_task
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.drop_path import set_drop_path
from astrobench.models.heads import (
    BackboneWithHead,
    ClassificationLoss,
    RegressionLoss,
    balanced_class_weights,
    build_head,
)
from astrobench.models.input_preparation import input_preparation
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.trained_data import TrainedCell, predict_outputs, select_trained_cell
from astrobench.registry import register_protocol
from astrobench.tasks.task import TaskSpec
from astrobench.train import TrainConfig, Trainer
from astrobench.train.device import peak_memory_bytes
from astrobench.train.layer_decay import param_groups

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
PROTOCOL_DEFAULTS: dict[str, Any] = {"epochs": 10, "lr": 1e-3, "batch_size": 64, "warmup_epochs": 1}


@dataclass
class Prepared:
    """What a mode returns: parameter groups and an optional per-epoch hook."""

    groups: list[dict[str, Any]] | None = None
    epoch_start_fn: Callable[[nn.Module, int], None] | None = None
    info: dict[str, Any] = field(default_factory=dict)


PrepareFn = Callable[[BackboneWithHead, Mapping[str, Any], TrainConfig], Prepared]


@dataclass
class TrainedMode:
    """A registered training protocol."""

    name: str
    prepare: PrepareFn
    random_init: bool = False  # scratch: same architecture, fresh weights
    drop_path: float = 0.0  # default stochastic depth (settings["drop_path"] overrides)

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        return run_trained_protocol(request, self)


def trained_protocol(
    name: str, random_init: bool = False, drop_path: float = 0.0
) -> Callable[[PrepareFn], PrepareFn]:
    """Decorator: register a prepare function as the training protocol `name`."""

    def decorate(prepare: PrepareFn) -> PrepareFn:
        register_protocol(name)(TrainedMode(name, prepare, random_init, drop_path))
        return prepare

    return decorate


def train_config_from(settings: Mapping[str, Any], seed: int) -> TrainConfig:
    """TrainConfig from protocol defaults overridden by `settings` (unknown keys ignored)."""
    values = {**PROTOCOL_DEFAULTS, **{k: v for k, v in settings.items() if k in _CONFIG_FIELDS}}
    values["seed"] = seed
    values.setdefault("monitor", "val_score")
    return TrainConfig(**values)


def build_model(
    request: ProtocolRequest, mode: TrainedMode, bands: list[str], side: int
) -> BackboneWithHead:
    """Backbone (re-initialised for scratch) + a head sized for the task, seeded by the run seed."""
    from astrobench.protocols.scratch import reinitialise

    img_size = natural_img_size(request.backbone, side)
    backbone: Backbone = create_backbone(request.backbone, bands=bands, img_size=img_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(request.seed)
        if mode.random_init:
            reinitialise(backbone)
        set_drop_path(backbone, float(request.settings.get("drop_path", mode.drop_path)))
        task = request.task
        n_outputs = int(task.n_classes or 2) if task.is_classification else 1
        head = build_head(
            backbone.num_features, n_outputs, float(request.settings.get("head_dropout", 0.0))
        )
    recipe = input_preparation(
        backbone.meta.to_dict(), list(range(len(bands))), bands, side, nan_policy="error"
    )
    return BackboneWithHead(backbone, head, recipe)


def make_loss(task: TaskSpec, settings: Mapping[str, Any], train_targets: np.ndarray) -> Any:
    """The task's loss object (classification or standardised regression)."""
    if task.is_classification:
        weights = settings.get("class_weights")
        if weights == "balanced":
            weights = balanced_class_weights(train_targets, int(task.n_classes or 0))
        return ClassificationLoss(weights, float(settings.get("label_smoothing", 0.0)))
    values = np.asarray(train_targets, dtype=np.float64)
    return RegressionLoss(
        str(settings.get("loss", "mse")), float(values.mean()), float(values.std() + 1e-12)
    )


def outputs_to_predictions(
    task: TaskSpec, outputs: np.ndarray, loss: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """(y_pred, probabilities) from raw model outputs [n, K]."""
    if task.is_classification:
        probabilities = torch.softmax(torch.from_numpy(outputs).double(), dim=1).numpy()
        return probabilities.argmax(axis=1), probabilities
    return loss.denormalise(torch.from_numpy(outputs[:, 0])).double().numpy(), None


def validation_score(task: TaskSpec, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Higher-is-better selection score on the validation split: accuracy or minus the MSE."""
    if task.is_classification:
        return float(np.mean(y_pred == y_true))
    return float(-np.mean((np.asarray(y_pred, dtype=np.float64) - y_true) ** 2))


def run_trained_protocol(request: ProtocolRequest, mode: TrainedMode) -> ProtocolResult:
    """Train `request.backbone` on the cell's train rows, select on val, score on test."""
    path, task, settings = Path(request.data), request.task, dict(request.settings)
    cell = select_trained_cell(
        path, task, request.fraction, request.seed, request.n_per_class, settings
    )
    with CutoutFile(path) as cutouts:
        bands, side = list(cutouts.bands), int(cutouts.image_shape[-1])
    config = train_config_from(settings, request.seed)
    model = build_model(request, mode, bands, side)
    prepared = mode.prepare(model, settings, config)
    prepared.info.setdefault("drop_path", float(settings.get("drop_path", mode.drop_path)))
    loss = make_loss(task, settings, cell.targets[cell.train])
    out_dir = (
        Path(request.work_dir) if request.work_dir else Path(tempfile.mkdtemp(prefix="astrobench-"))
    )
    trainer = _trainer(model, loss, cell, path, task, config, out_dir, prepared, settings)
    started = time.perf_counter()
    history = trainer.fit(resume=bool(settings.get("resume", False)))
    train_seconds = time.perf_counter() - started
    trainer.load_best()
    final = trainer.evaluated_module()
    return _result(
        request, mode, cell, path, final, trainer, loss, history, train_seconds, prepared, config
    )


def _trainer(
    model: BackboneWithHead,
    loss: Any,
    cell: TrainedCell,
    path: Path,
    task: TaskSpec,
    config: TrainConfig,
    out_dir: Path,
    prepared: Prepared,
    settings: Mapping[str, Any],
) -> Trainer:
    from astrobench.data.transforms import ZScore
    from astrobench.protocols.augment import band_scale_needed, train_transform

    target = task.target
    band_std = ZScore.fit(path, cell.train).std if band_scale_needed(settings) else None
    transform = train_transform(settings, band_std)
    dataset = CutoutDataset(path, cell.train, transform=transform, targets=[target])

    def loss_fn(module: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return loss(module(batch["image"]), batch[target])

    def evaluate_fn(module: nn.Module) -> dict[str, float]:
        device = next(module.parameters()).device
        outputs = predict_outputs(module, path, cell.val, config.batch_size, device)
        y_pred, _ = outputs_to_predictions(task, outputs, loss)
        return {"val_score": validation_score(task, cell.targets[cell.val], y_pred)}

    return Trainer(
        model,
        loss_fn,
        dataset,
        config,
        out_dir,
        param_groups=prepared.groups,
        evaluate_fn=evaluate_fn,
        epoch_start_fn=prepared.epoch_start_fn,
    )


def _result(
    request: ProtocolRequest,
    mode: TrainedMode,
    cell: TrainedCell,
    path: Path,
    model: nn.Module,
    trainer: Trainer,
    loss: Any,
    history: Any,
    train_seconds: float,
    prepared: Prepared,
    config: TrainConfig,
) -> ProtocolResult:
    task = request.task
    started = time.perf_counter()
    outputs = predict_outputs(model, path, cell.test, config.batch_size, trainer.device)
    eval_seconds = time.perf_counter() - started
    y_pred, probabilities = outputs_to_predictions(task, outputs, loss)
    y_true = cell.targets[cell.test]
    speed = history.epochs[-1].images_per_second if history.epochs else 0.0
    total = sum(p.numel() for p in trainer.model.parameters())
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return ProtocolResult(
        protocol=mode.name,
        target=task.target,
        fraction=request.fraction,
        seed=request.seed,
        metrics=score_task(task, y_true, y_pred, probabilities),
        hyperparameters={**config.to_dict(), **prepared.info},
        n_train=len(cell.train),
        n_val=len(cell.val),
        n_test=len(cell.test),
        y_true=y_true,
        y_pred=y_pred,
        probabilities=probabilities,
        test_indices=cell.test,
        params_total=int(total),
        params_trainable=int(trainable),
        train_seconds=train_seconds,
        eval_seconds=eval_seconds,
        throughput_per_second=len(cell.test) / max(eval_seconds, 1e-9),
        peak_memory_bytes=peak_memory_bytes(trainer.device),
        extra={
            "n_per_class": request.n_per_class,
            "backbone": request.backbone,
            "best_epoch": history.best_epoch,
            "best_val_score": history.best_metric,
            "epochs_run": len(history.epochs),
            "final_train_loss": history.final_loss,
            "train_images_per_second": speed,
            "skipped_batches": history.skipped_batches,
            "work_dir": str(trainer.out_dir),
        },
    )


def backbone_prefix() -> str:
    """Where the backbone's parameter names sit inside BackboneWithHead."""
    return "backbone."


def default_groups(
    model: BackboneWithHead, config: TrainConfig, layer_decay: float = 1.0
) -> list[dict[str, Any]]:
    """Parameter groups with layer-wise lr decay over the backbone's depth groups."""
    depth = model.backbone.depth_groups()
    return param_groups(model, config.weight_decay, depth, layer_decay, prefix=backbone_prefix())
