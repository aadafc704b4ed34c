"""`hybrid`: AstroMAE's photo-z fine-tuning (seed 001 §II-E, §III) and its Table IV relatives.

The cell's rows are those of every other training protocol (same split, label fraction and
seed). The model is `models.hybrid` for the variant the settings name: `variant` (a name such as
`pcm-astromae` or `henghes`), or `parts` ("vit,inception,magnitude") with `init` ("pretrained" or
"scratch"; default: pretrained for a `ckpt:` backbone) and the layer type read from the
backbone (`?layer=pcm`, or the checkpoint's sidecar). The request's backbone is the ViT encoder;
variants without a ViT ignore it. The task (one value: photo-z or regression) supplies the loss
on the standardised target, the decoding, the selection score on validation and the metrics.

Defaults follow seed 001 Table I: AdamW, lr 1e-4, weight decay 0.005, betas (0.9, 0.999), the
cyclic schedule, no warmup, augment "astromae" (flips, 45-degree rotations, noise 0.05); train
keys a suite or the CLI leaves out keep these values. `hybrid-<variant>` is registered for every
variant, so a suite lays out Table IV as protocols, one row each.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import Field, field_validator
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.transforms import ZScore
from astrobench.errors import ConfigError
from astrobench.models.encoder_provenance import check_encoder_split
from astrobench.models.hybrid.build import build_hybrid, spec_layer
from astrobench.models.hybrid.model import HybridPhotoZ, ImageStats
from astrobench.models.hybrid.variants import HYBRID_VARIANTS, HybridVariant, variant_for
from astrobench.models.spec import parse_spec
from astrobench.protocols.augment import band_scale_needed, train_transform
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.hybrid_data import (
    MagnitudeInputs,
    magnitude_inputs,
    predict_hybrid,
    training_dataset,
)
from astrobench.protocols.settings import TrainedSettings, TrainSettings, validate_settings
from astrobench.protocols.trained import Prepared, TrainedMode, trained_result
from astrobench.protocols.trained_data import TrainedCell, select_trained_cell
from astrobench.registry import register_protocol
from astrobench.tasks.base import Task, ValueOutput
from astrobench.tasks.predictions import Predictions
from astrobench.train import TrainConfig, Trainer

ASTROMAE_TRAIN: dict[str, Any] = {
    "lr": 1e-4,
    "weight_decay": 0.005,
    "betas": (0.9, 0.999),
    "schedule": "cyclic",
    "warmup_epochs": 0.0,
}


class HybridSettings(TrainedSettings):
    """The hybrid variant, its magnitude inputs and widths, on seed 001's training recipe."""

    train: TrainSettings = Field(default_factory=lambda: TrainSettings(**ASTROMAE_TRAIN))
    variant: str | None = None  # a name of models.hybrid.variants; or give `parts`
    parts: str | list[str] | None = None  # e.g. "vit,inception,magnitude"
    init: Literal["pretrained", "scratch"] | None = None  # None: pretrained for ckpt: backbones
    layer: Literal["plain", "pcm"] | None = None  # None: the backbone's own
    magnitudes: str | list[str] | None = None  # "mag_u,mag_g,..." or "auto"
    inception_width: float = Field(default=1.0, gt=0, le=8)
    head_hidden: int = Field(default=128, ge=1)
    augment: str = "astromae"

    @field_validator("train", mode="before")
    @classmethod
    def _astromae_recipe(cls, value: Any) -> Any:
        """Train keys left out take seed 001 Table I's values, not the generic defaults."""
        if value is None or isinstance(value, dict):
            return {**ASTROMAE_TRAIN, **(value or {})}
        return value


def resolve_variant(settings: HybridSettings, backbone: str) -> HybridVariant:
    """The variant named by `variant`, or by `parts` + `init` + the backbone's layer."""
    if settings.variant:
        variant: HybridVariant = HYBRID_VARIANTS.get(settings.variant)
        return variant
    if not settings.parts:
        raise ConfigError(
            "the hybrid protocol needs a variant or parts",
            "give --variant pcm-astromae, or --parts vit,inception,magnitude",
        )
    parts = settings.parts
    wants_vit = "vit" in (parts.split(",") if isinstance(parts, str) else parts)
    pretrained = wants_vit and not parse_spec(backbone).is_random_init
    init = settings.init or ("pretrained" if pretrained else "scratch")
    layer = settings.layer or (spec_layer(backbone) if wants_vit else "plain")
    return variant_for(parts, init, layer)


def _prepared_by_the_model(model: Any, settings: Any, config: TrainConfig) -> Prepared:
    """The hybrid model freezes its own encoder; nothing else to prepare."""
    return Prepared()


@dataclass
class HybridMode(TrainedMode):
    """A training protocol whose model is a hybrid variant (fixed, or chosen by settings)."""

    fixed_variant: str | None = None

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        return run_hybrid(request, self)


def run_hybrid(request: ProtocolRequest, mode: HybridMode) -> ProtocolResult:
    """Train the hybrid variant on the cell's train rows, select on val, score on test."""
    settings: HybridSettings = validate_settings(HybridSettings, request.settings, mode.name)
    if mode.fixed_variant:
        settings = settings.model_copy(update={"variant": mode.fixed_variant})
    task, path = request.task, Path(request.data)
    output = task.output
    if not isinstance(output, ValueOutput) or output.n_columns != 1:
        raise ConfigError(
            f"the hybrid protocol predicts one value; {task.target!r} is a {task.kind} target",
            "use it for redshift (or another single numeric column)",
        )
    variant = resolve_variant(settings, request.backbone)
    if "vit" in variant.parts:
        check_encoder_split(
            request.backbone, path, settings.split_seed, request.cache_dir, settings.split_scheme
        )
    cell = select_trained_cell(path, task, request.fraction, request.seed, None, settings)
    mags = _magnitudes(variant, path, settings, cell)
    model = _model(request, variant, settings, path, cell, mags)
    config = settings.train_config(request.seed)
    loss = task.make_loss(cell.targets[cell.train], settings.model_dump())
    out_dir = Path(request.work_dir or tempfile.mkdtemp(prefix="astrobench-hybrid-"))
    trainer = _trainer(model, loss, cell, path, task, mags, config, out_dir, settings)
    started = time.perf_counter()
    history = trainer.fit(resume=settings.resume)
    train_seconds = time.perf_counter() - started
    trainer.load_best()
    started = time.perf_counter()
    outputs = predict_hybrid(
        trainer.evaluated_module(), path, cell.test, mags, config.batch_size, trainer.device
    )
    eval_seconds = time.perf_counter() - started
    y_pred, _ = task.decode(outputs, loss)
    predictions = Predictions(cell.targets[cell.test], y_pred, indices=cell.test)
    hyperparameters = {**config.to_dict(), **_described(settings, variant, mags)}
    return trained_result(
        request, mode.name, cell, predictions, trainer, history,
        (train_seconds, eval_seconds), hyperparameters, {"variant": variant.name},
    )  # fmt: skip


def _magnitudes(
    variant: HybridVariant, path: Path, settings: HybridSettings, cell: TrainedCell
) -> MagnitudeInputs | None:
    if "magnitude" not in variant.parts:
        return None
    mags = magnitude_inputs(path, settings.magnitudes, cell.train)
    if mags is None:
        raise ConfigError(
            f"variant {variant.name} needs magnitude columns",
            "give --magnitudes mag_u,mag_g,... (or auto)",
        )
    return mags


def _model(
    request: ProtocolRequest,
    variant: HybridVariant,
    settings: HybridSettings,
    path: Path,
    cell: TrainedCell,
    mags: MagnitudeInputs | None,
) -> HybridPhotoZ:
    with CutoutFile(path) as cutouts:
        bands, side = list(cutouts.bands), int(cutouts.image_shape[-1])
    stats = ZScore.fit(path, cell.train) if "inception" in variant.parts else None
    return build_hybrid(
        variant,
        backbone=request.backbone if "vit" in variant.parts else None,
        bands=bands,
        side=side,
        magnitude_stats=(mags.mean, mags.std) if mags else None,
        image_stats=ImageStats(stats.mean, stats.std) if stats else None,
        inception_width=settings.inception_width,
        head_hidden=settings.head_hidden,
        seed=request.seed,
    )


def _trainer(
    model: HybridPhotoZ,
    loss: Any,
    cell: TrainedCell,
    path: Path,
    task: Task,
    mags: MagnitudeInputs | None,
    config: TrainConfig,
    out_dir: Path,
    settings: HybridSettings,
) -> Trainer:
    band_std = ZScore.fit(path, cell.train).std if band_scale_needed(settings.augment) else None
    target = task.columns[0]
    transform = train_transform(settings.augment, band_std)
    dataset = training_dataset(path, cell.train, mags, transform, target)

    def loss_fn(module: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return loss(module(batch["image"], batch.get("magnitudes")), batch[target])

    def evaluate_fn(module: nn.Module) -> dict[str, float]:
        device = next(module.parameters()).device
        outputs = predict_hybrid(module, path, cell.val, mags, config.batch_size, device)
        y_pred, _ = task.decode(outputs, loss)
        return {"val_score": float(task.selection_score(cell.targets[cell.val], y_pred))}

    return Trainer(model, loss_fn, dataset, config, out_dir, evaluate_fn=evaluate_fn)


def _described(
    settings: HybridSettings, variant: HybridVariant, mags: MagnitudeInputs | None
) -> dict[str, Any]:
    return {
        "variant": variant.name,
        "parts": ",".join(sorted(variant.parts)),
        "init": variant.init,
        "layer": variant.layer,
        "magnitudes": mags.columns if mags else [],
        "augment": settings.augment,
        "split_scheme": settings.split_scheme,
        "inception_width": settings.inception_width,
        "head_hidden": settings.head_hidden,
    }


register_protocol("hybrid")(HybridMode("hybrid", _prepared_by_the_model, HybridSettings))
# One protocol per variant (`hybrid-pcm-astromae`, `hybrid-henghes`, ...), so that a suite lays
# out Table IV as protocols and every variant is its own row in results and reports.
for _name in HYBRID_VARIANTS.names():
    register_protocol(f"hybrid-{_name}")(
        HybridMode(f"hybrid-{_name}", _prepared_by_the_model, HybridSettings, fixed_variant=_name)
    )
