"""What the training protocols (finetune, partial, unfreeze, lora, scratch) share.

A training protocol is a `TrainedMode`: how to prepare the backbone + head (which weights
train, their parameter groups, an epoch hook) and its settings model (a `TrainedSettings`).
`run_trained_protocol` does the rest with the one runtime in `astrobench.train`: same cells as
the frozen protocols, selection of the best epoch on the validation split, test predictions
decoded and scored by the task, and cost columns. The task supplies the head, the loss and the
decoding, so nothing here depends on what is predicted.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from astrobench.data.dataset import CutoutDataset
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.drop_path import set_drop_path
from astrobench.models.encoder_provenance import check_encoder_split
from astrobench.models.heads import BackboneWithHead
from astrobench.models.input_preparation import input_preparation
from astrobench.models.reinit import reinitialise
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.settings import TrainedSettings, validate_settings
from astrobench.protocols.trained_data import TrainedCell, predict_outputs, select_trained_cell
from astrobench.protocols.trained_inputs import ModalityInputs, modality_inputs
from astrobench.registry import register_protocol
from astrobench.tasks.base import Task
from astrobench.tasks.predictions import Predictions
from astrobench.train import TrainConfig, Trainer
from astrobench.train.device import peak_memory_bytes
from astrobench.train.layer_decay import param_groups
from astrobench.train.run_identity import run_identity


@dataclass
class Prepared:
    """What a mode returns: parameter groups and an optional per-epoch hook."""

    groups: list[dict[str, Any]] | None = None
    epoch_start_fn: Callable[[nn.Module, int], None] | None = None
    info: dict[str, Any] = field(default_factory=dict)


PrepareFn = Callable[[BackboneWithHead, Any, TrainConfig], Prepared]


@dataclass
class TrainedMode:
    """A registered training protocol."""

    name: str
    prepare: PrepareFn
    settings_model: type[TrainedSettings] = TrainedSettings
    random_init: bool = False  # scratch: same architecture, fresh weights
    drop_path: float = 0.0  # default stochastic depth (the `drop_path` setting overrides)

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        return run_trained_protocol(request, self)


def trained_protocol(
    name: str,
    settings_model: type[TrainedSettings] = TrainedSettings,
    random_init: bool = False,
    drop_path: float = 0.0,
) -> Callable[[PrepareFn], PrepareFn]:
    """Decorator: register a prepare function as the training protocol `name`."""

    def decorate(prepare: PrepareFn) -> PrepareFn:
        mode = TrainedMode(name, prepare, settings_model, random_init, drop_path)
        register_protocol(name)(mode)
        return prepare

    return decorate


def build_model(
    request: ProtocolRequest,
    mode: TrainedMode,
    settings: TrainedSettings,
    bands: list[str],
    channels: list[int],
    side: int,
) -> BackboneWithHead:
    """Backbone (re-initialised for scratch) + the task's head, seeded by the run seed.

    The backbone is fed `settings.embed.bands` of the file (all by default), fitted by the
    band strategy `settings.embed.adapt`, exactly as the frozen protocols feed it.
    """
    embed = settings.embed
    img_size = embed.img_size or natural_img_size(request.backbone, side)
    backbone: Backbone = create_backbone(
        request.backbone, bands=bands, img_size=img_size, adapt=embed.adapt, pooling=embed.pooling
    )
    head = prepare_backbone_and_head(backbone, request, mode, settings)
    recipe = input_preparation(backbone.meta.to_dict(), channels, bands, side, nan_policy="error")
    return BackboneWithHead(backbone, head, recipe)


def prepare_backbone_and_head(
    backbone: nn.Module, request: ProtocolRequest, mode: TrainedMode, settings: TrainedSettings
) -> nn.Module:
    """Under the cell's seed: re-initialise the backbone if the mode says so, set its drop
    path, and build the task's head for its features (returned)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(request.seed)
        if mode.random_init:
            reinitialise(backbone)
        set_drop_path(backbone, drop_path_of(settings, mode))
        width = int(backbone.num_features)  # type: ignore[arg-type]  # every encoder sets it
        return request.task.build_head(width, settings.head_dropout)


def drop_path_of(settings: TrainedSettings, mode: TrainedMode) -> float:
    return mode.drop_path if settings.drop_path is None else settings.drop_path


def run_trained_protocol(request: ProtocolRequest, mode: TrainedMode) -> ProtocolResult:
    """Train `request.backbone` on the cell's train rows, select on val, score on test."""
    settings = validate_settings(mode.settings_model, request.settings, mode.name)
    path, task = Path(request.data), request.task
    check_encoder_split(
        request.backbone, path, settings.split_seed, request.cache_dir, settings.split_scheme
    )
    cell = select_trained_cell(
        path, task, request.fraction, request.seed, request.n_per_class, settings
    )
    inputs = modality_inputs(request.backbone)  # what the backbone reads: images or spectra
    config = settings.train_config(request.seed)
    config.identity = run_identity(
        data=path, target=task.target, protocol=mode.name, fraction=request.fraction,
        backbone=request.backbone, seed=request.seed, pooling=settings.embed.pooling,
        n_per_class=request.n_per_class,
    )  # fmt: skip
    model = inputs.build(request, mode, settings, path)
    prepared = mode.prepare(model, settings, config)  # type: ignore[arg-type]
    prepared.info.setdefault("drop_path", drop_path_of(settings, mode))
    loss = task.make_loss(cell.targets[cell.train], settings.model_dump())
    out_dir = (
        Path(request.work_dir) if request.work_dir else Path(tempfile.mkdtemp(prefix="astrobench-"))
    )
    trainer = _trainer(model, loss, cell, (path, inputs), task, config, out_dir, prepared, settings)
    started = time.perf_counter()
    history = trainer.fit(resume=settings.resume)
    train_seconds = time.perf_counter() - started
    trainer.load_best()
    final = trainer.evaluated_module()
    return _result(
        request, mode, cell, (path, inputs), final, trainer, loss, history, train_seconds,
        prepared, config,
    )  # fmt: skip


def _trainer(
    model: nn.Module,
    loss: Any,
    cell: TrainedCell,
    source: tuple[Path, ModalityInputs],
    task: Task,
    config: TrainConfig,
    out_dir: Path,
    prepared: Prepared,
    settings: TrainedSettings,
) -> Trainer:
    path, inputs = source
    columns = list(task.columns)
    transform = inputs.transform(settings, path, cell.train)
    dataset = CutoutDataset(
        path, cell.train, transform=transform, targets=columns, with_spectra=inputs.with_spectra
    )

    def loss_fn(module: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        targets = [batch[c] for c in columns]
        target = targets[0] if len(targets) == 1 else torch.stack(targets, dim=1)  # [B] | [B, T]
        return loss(module(batch[inputs.key]), target)

    def evaluate_fn(module: nn.Module) -> dict[str, float]:
        device = next(module.parameters()).device
        outputs = predict_outputs(module, path, cell.val, config.batch_size, device, inputs.read)
        y_pred, _ = task.decode(outputs, loss)
        return {"val_score": float(task.selection_score(cell.targets[cell.val], y_pred))}

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
    source: tuple[Path, ModalityInputs],
    model: nn.Module,
    trainer: Trainer,
    loss: Any,
    history: Any,
    train_seconds: float,
    prepared: Prepared,
    config: TrainConfig,
) -> ProtocolResult:
    task, (path, inputs) = request.task, source
    started = time.perf_counter()
    device = trainer.device
    outputs = predict_outputs(model, path, cell.test, config.batch_size, device, inputs.read)
    eval_seconds = time.perf_counter() - started
    y_pred, probabilities = task.decode(outputs, loss)
    predictions = Predictions(cell.targets[cell.test], y_pred, probabilities, indices=cell.test)
    hyperparameters = {**config.to_dict(), **prepared.info}
    return trained_result(
        request, mode.name, cell, predictions, trainer, history,
        (train_seconds, eval_seconds), hyperparameters, {"modality": inputs.key},
    )  # fmt: skip


def trained_result(
    request: ProtocolRequest,
    protocol: str,
    cell: TrainedCell,
    predictions: Predictions,
    trainer: Trainer,
    history: Any,
    seconds: tuple[float, float],
    hyperparameters: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> ProtocolResult:
    """The result row of a trained cell: scores, cost and how the training went.

    `seconds` is (training, evaluation) wall time; `extra` adds protocol-specific facts.
    """
    train_seconds, eval_seconds = seconds
    speed = history.epochs[-1].images_per_second if history.epochs else 0.0
    total = sum(p.numel() for p in trainer.model.parameters())
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    return ProtocolResult(
        protocol=protocol,
        target=request.task.target,
        fraction=request.fraction,
        seed=request.seed,
        metrics=request.task.score(predictions),
        hyperparameters=hyperparameters,
        n_train=len(cell.train),
        n_val=len(cell.val),
        n_test=len(cell.test),
        predictions=predictions,
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
            **(extra or {}),
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
