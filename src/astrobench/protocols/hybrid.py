"""`hybrid`: AstroMAE's photo-z fine-tuning (seed 001 §II-E, §III) and its Table IV relatives.

The cell's rows are those of every other training protocol (same split, label fraction and
seed). The model is `models.hybrid` for the variant the settings name: `variant` (a name such as
`pcm-astromae` or `henghes`), or `parts` ("vit,inception,magnitude") with `init` ("pretrained" or
"scratch"; default: pretrained for a `ckpt:` backbone) and the layer type read from the
backbone (`?layer=pcm`, or the checkpoint's sidecar). The request's backbone is the ViT encoder;
variants without a ViT ignore it. The model regresses the standardised target with MSE, selects
its best epoch on the validation split and is scored on the test split.

Settings (besides any TrainConfig field, `augment`, `split_scheme`, `split_seed`):
`magnitudes` ("mag_u,mag_g,..." or "auto"; required by variants with the magnitude block),
`inception_width` (1.0), `head_hidden` (128). Defaults follow seed 001 Table I: AdamW, lr 1e-4,
weight decay 0.005, the cyclic schedule, augment "astromae" (flips, 45-degree rotations, noise
0.05).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.transforms import ZScore
from astrobench.errors import ConfigError
from astrobench.metrics.scoring import score_task
from astrobench.models.heads import RegressionLoss
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
from astrobench.protocols.trained_data import TrainedCell, select_trained_cell
from astrobench.registry import register_protocol
from astrobench.train import TrainConfig, Trainer
from astrobench.train.device import peak_memory_bytes

ASTROMAE_RECIPE: dict[str, Any] = {
    "epochs": 10,
    "lr": 1e-4,
    "batch_size": 64,
    "weight_decay": 0.005,
    "betas": (0.9, 0.999),
    "schedule": "cyclic",
    "warmup_epochs": 0.0,
    "augment": "astromae",
}
_OWN_KEYS = ("variant", "parts", "init", "layer", "magnitudes", "inception_width", "head_hidden")


def resolve_variant(settings: dict[str, Any], backbone: str) -> HybridVariant:
    """The variant named by settings["variant"], or by parts + init + the backbone's layer."""
    if settings.get("variant"):
        variant: HybridVariant = HYBRID_VARIANTS.get(str(settings["variant"]))
        return variant
    if not settings.get("parts"):
        raise ConfigError(
            "the hybrid protocol needs a variant or parts",
            "give variant: pcm-astromae, or parts: vit,inception,magnitude",
        )
    parts = settings["parts"]
    wants_vit = "vit" in (parts.split(",") if isinstance(parts, str) else parts)
    default_init = (
        "pretrained" if wants_vit and not parse_spec(backbone).is_random_init else "scratch"
    )
    layer = str(settings.get("layer") or (spec_layer(backbone) if wants_vit else "plain"))
    return variant_for(parts, str(settings.get("init") or default_init), layer)


@register_protocol("hybrid")
def hybrid_protocol(request: ProtocolRequest, protocol_name: str = "hybrid") -> ProtocolResult:
    """Train the hybrid variant of `request.settings` and score it on the test split."""
    settings = {**ASTROMAE_RECIPE, **request.settings}
    task, path = request.task, Path(request.data)
    if task.is_classification:
        raise ConfigError(
            f"the hybrid protocol regresses a value; {task.target!r} is a class label",
            "use it for redshift (or another continuous column)",
        )
    variant = resolve_variant(settings, request.backbone)
    cell = select_trained_cell(path, task, request.fraction, request.seed, None, settings)
    mags = None
    if "magnitude" in variant.parts:
        mags = magnitude_inputs(path, settings.get("magnitudes"), cell.train)
        if mags is None:
            raise ConfigError(
                f"variant {variant.name} needs magnitude columns",
                "give magnitudes: mag_u,mag_g,... (or auto)",
            )
    model = _model(request, variant, path, cell, mags)
    config = _config(settings, request.seed)
    loss = RegressionLoss("mse", float(cell.targets[cell.train].mean()),
                          float(cell.targets[cell.train].std() + 1e-12))  # fmt: skip
    out_dir = Path(request.work_dir or tempfile.mkdtemp(prefix="astrobench-hybrid-"))
    trainer = _trainer(model, loss, cell, path, task.target, mags, config, out_dir, settings)
    started = time.perf_counter()
    history = trainer.fit(resume=bool(settings.get("resume", False)))
    train_seconds = time.perf_counter() - started
    trainer.load_best()
    started = time.perf_counter()
    outputs = predict_hybrid(
        trainer.evaluated_module(), path, cell.test, mags, config.batch_size, trainer.device
    )
    eval_seconds = time.perf_counter() - started
    y_pred = loss.denormalise(torch.from_numpy(outputs[:, 0])).double().numpy()
    y_true = cell.targets[cell.test]
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return ProtocolResult(
        protocol=protocol_name,
        target=task.target,
        fraction=request.fraction,
        seed=request.seed,
        metrics=score_task(task, y_true, y_pred, None),
        hyperparameters={**config.to_dict(), **_own_settings(settings, variant, mags)},
        n_train=len(cell.train),
        n_val=len(cell.val),
        n_test=len(cell.test),
        y_true=y_true,
        y_pred=y_pred,
        test_indices=cell.test,
        params_total=int(total),
        params_trainable=int(trainable),
        train_seconds=train_seconds,
        eval_seconds=eval_seconds,
        throughput_per_second=len(cell.test) / max(eval_seconds, 1e-9),
        peak_memory_bytes=peak_memory_bytes(trainer.device),
        extra={
            "backbone": request.backbone,
            "variant": variant.name,
            "best_epoch": history.best_epoch,
            "epochs_run": len(history.epochs),
            "final_train_loss": history.final_loss,
            "work_dir": str(trainer.out_dir),
        },
    )


def _variant_protocol(name: str) -> Any:
    def run(request: ProtocolRequest) -> ProtocolResult:
        settings = {**request.settings, "variant": name}
        return hybrid_protocol(replace(request, settings=settings), f"hybrid-{name}")

    run.__doc__ = f"The hybrid protocol with variant {name} (a suite lists it by this name)."
    return run


# One protocol per variant (`hybrid-pcm-astromae`, `hybrid-henghes`, ...), so that a suite lays
# out Table IV as protocols and every variant is its own row in results and reports.
for _name in HYBRID_VARIANTS.names():
    register_protocol(f"hybrid-{_name}")(_variant_protocol(_name))


def _model(
    request: ProtocolRequest,
    variant: HybridVariant,
    path: Path,
    cell: TrainedCell,
    mags: MagnitudeInputs | None,
) -> HybridPhotoZ:
    with CutoutFile(path) as cutouts:
        bands, side = list(cutouts.bands), int(cutouts.image_shape[-1])
    stats = ZScore.fit(path, cell.train) if "inception" in variant.parts else None
    settings = request.settings
    return build_hybrid(
        variant,
        backbone=request.backbone if "vit" in variant.parts else None,
        bands=bands,
        side=side,
        magnitude_stats=(mags.mean, mags.std) if mags else None,
        image_stats=ImageStats(stats.mean, stats.std) if stats else None,
        inception_width=float(settings.get("inception_width", 1.0)),
        head_hidden=int(settings.get("head_hidden", 128)),
        seed=request.seed,
    )


def _config(settings: dict[str, Any], seed: int) -> TrainConfig:
    from astrobench.protocols.trained import train_config_from

    return train_config_from(settings, seed)


def _trainer(
    model: HybridPhotoZ,
    loss: RegressionLoss,
    cell: TrainedCell,
    path: Path,
    target: str,
    mags: MagnitudeInputs | None,
    config: TrainConfig,
    out_dir: Path,
    settings: dict[str, Any],
) -> Trainer:
    band_std = ZScore.fit(path, cell.train).std if band_scale_needed(settings) else None
    dataset = training_dataset(path, cell.train, mags, train_transform(settings, band_std), target)

    def loss_fn(module: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return loss(module(batch["image"], batch.get("magnitudes")), batch[target])

    def evaluate_fn(module: nn.Module) -> dict[str, float]:
        device = next(module.parameters()).device
        outputs = predict_hybrid(module, path, cell.val, mags, config.batch_size, device)
        y_pred = loss.denormalise(torch.from_numpy(outputs[:, 0])).double().numpy()
        return {"val_score": float(-np.mean((y_pred - cell.targets[cell.val]) ** 2))}

    return Trainer(model, loss_fn, dataset, config, out_dir, evaluate_fn=evaluate_fn)


def _own_settings(
    settings: dict[str, Any], variant: HybridVariant, mags: MagnitudeInputs | None
) -> dict[str, Any]:
    own = {k: settings[k] for k in _OWN_KEYS if k in settings}
    own.update(
        variant=variant.name,
        parts=",".join(sorted(variant.parts)),
        init=variant.init,
        magnitudes=mags.columns if mags else [],
        augment=settings.get("augment"),
        split_scheme=settings.get("split_scheme", "standard"),
    )
    return own
