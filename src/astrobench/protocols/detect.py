"""`detect`: train a Faster R-CNN detector on any backbone (frozen or fine-tuned) on a cutout
file with boxes, select the epoch on the validation split's AP50, and write into `out`:

    gt.json           COCO ground truth of the test images (image_id = index in the file)
    predictions.json  COCO results (image_id, category_id, bbox [x, y, w, h], score)
    metrics.json      COCO metrics (metrics.detection) + cost and provenance
    history.json, checkpoints/   the training runtime's (exact resume, atomic checkpoints)

Any COCO tool recomputes the metrics from the two JSON files. Splits are the file's (split
column) or the same stratified split as every other protocol (split_seed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import ConfigDict, Field
from torch import nn

from astrobench.atomic import write_json_atomic
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.detection_dataset import DetectionDataset, unpad_targets
from astrobench.data.splits import split_indices
from astrobench.errors import DataFormatError, InsufficientDataError
from astrobench.metrics.detection import (
    RaggedBoxes,
    coco_ground_truth,
    coco_metrics,
    coco_results,
    detection_metrics,
)
from astrobench.models.create import create_backbone
from astrobench.models.detection.detector import Detector, DetectorConfig
from astrobench.models.input_preparation import input_preparation
from astrobench.protocols.settings import ProtocolSettings, validate_settings
from astrobench.train import TrainConfig, Trainer
from astrobench.train.device import peak_memory_bytes
from astrobench.train.layer_decay import param_groups


class DetectSettings(ProtocolSettings):
    """Settings of one detection run (unknown keys are an error). From ProtocolSettings:
    split_seed, and embed.adapt (the band strategy of a pretrained backbone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["frozen", "finetune"] = "finetune"
    epochs: int = Field(10, ge=0)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(2e-4, gt=0)
    weight_decay: float = 0.05
    layer_decay: float = 0.75  # fine-tuning: lr x decay per depth group below the top
    warmup_epochs: float = 1.0
    clip_grad_norm: float | None = 10.0
    augment: bool = True  # random flips of image and boxes
    seed: int = 0
    neck: str | None = None
    pyramid_channels: int = 128
    box_head_width: int = 256
    anchor_sizes: tuple[int, int, int, int, int] = (8, 16, 32, 64, 128)
    score_threshold: float = 0.05  # detections kept for evaluation (COCO practice: 0.05)
    detections_per_image: int = 100
    proposals_train: int = Field(600, ge=1)  # RPN proposals per image after NMS
    proposals_test: int = Field(300, ge=1)
    # "auto": a backbone without its own pixel statistics (random init: mean 0, std 1, no
    # stretch) sees asinh(x / sigma_sky) per band, sigma_sky measured robustly on training
    # images (`sky_sigma`); "none": raw pixels. Backbones with statistics (MAE sidecars, hub
    # weights) always use their own recipe.
    stretch: Literal["auto", "none"] = "auto"
    device: str = "auto"
    num_workers: int = 0
    resume: bool = False


def detect_settings(values: dict[str, Any]) -> DetectSettings:
    """DetectSettings from a dict; a bad or unknown key is a ConfigError (one line)."""
    checked: DetectSettings = validate_settings(DetectSettings, values, "detect")
    return checked


@dataclass
class DetectionResult:
    """What `detect` wrote and measured: metrics, run information, and the test images'
    indices, true and predicted boxes, and RGB thumbnails [n, H, W, 3] uint8 (for figures)."""

    out: Path
    metrics: dict[str, float]
    info: dict[str, Any]
    test_indices: np.ndarray
    truth: RaggedBoxes
    predictions: RaggedBoxes
    thumbnails: np.ndarray


@torch.inference_mode()
def predict_boxes(
    model: nn.Module, path: Path, indices: np.ndarray, batch_size: int, device: torch.device
) -> RaggedBoxes:
    """Detections on objects `indices` (in that order): ragged boxes, labels, scores."""
    was_training = model.training
    model.eval()
    boxes, labels, scores, counts = [], [], [], []
    with CutoutFile(path) as cutouts:
        for start in range(0, len(indices), batch_size):
            images = torch.from_numpy(cutouts.read_images(indices[start : start + batch_size]))
            for output in model(images.to(device)):
                boxes.append(output["boxes"].float().cpu().numpy())
                labels.append(output["labels"].cpu().numpy())
                scores.append(output["scores"].float().cpu().numpy())
                counts.append(len(output["boxes"]))
    model.train(was_training)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return RaggedBoxes(
        np.concatenate(boxes).reshape(-1, 4) if boxes else np.zeros((0, 4), np.float32),
        np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, np.int64),
        offsets,
        np.concatenate(scores) if scores else np.zeros(0, np.float32),
    )


def truth_of(path: Path, indices: np.ndarray) -> RaggedBoxes:
    """Ground-truth boxes of objects `indices` (in that order)."""
    with CutoutFile(path) as cutouts:
        table = cutouts.box_table()
    parts = [table.of_image(int(i)) for i in indices]
    counts = [len(b) for b, _ in parts]
    return RaggedBoxes(
        np.concatenate([b for b, _ in parts]).reshape(-1, 4) if parts else np.zeros((0, 4)),
        np.concatenate([lab for _, lab in parts]).astype(np.int64) if parts else np.zeros(0),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )


def _splits(path: Path, split_seed: int) -> tuple[dict[str, np.ndarray], list[str], list[Any]]:
    with CutoutFile(path) as cutouts:
        table = cutouts.box_table()  # DataFormatError when the file has no boxes
        if not table.label_names:
            raise DataFormatError(
                f"{path}: /box_labels has no label_names",
                "name the box classes (astrobench data validate explains what is missing)",
            )
        splits = split_indices(cutouts, seed=split_seed)
        shape = [list(cutouts.bands), cutouts.image_shape[-1]]
    for name in ("train", "test"):
        if len(splits[name]) == 0:
            raise InsufficientDataError(
                f"{path}: the {name} split has no images ({sum(map(len, splits.values()))} in all)",
                "use a file with at least ten images",
            )
    return splits, table.label_names, shape


def sky_sigma(path: Path, indices: np.ndarray, max_images: int = 64) -> list[float]:
    """Per-band pixel noise from up to `max_images` of `indices`: 1.4826 x the median absolute
    deviation of horizontal pixel differences, over sqrt(2). Differencing cancels the smooth
    light of sources, which would inflate a plain MAD of crowded fields (by ~35 % at 64 px)."""
    with CutoutFile(path) as cutouts:
        images = cutouts.read_images(np.sort(indices[:max_images]))  # [n, C, H, W]
    steps = np.diff(images, axis=-1)  # [n, C, H, W - 1]
    per_band = np.moveaxis(steps, 1, 0).reshape(images.shape[1], -1)  # [C, n H (W - 1)]
    centred = per_band - np.median(per_band, axis=1, keepdims=True)
    mad = np.median(np.abs(centred), axis=1)
    return [float(max(1.4826 * m / np.sqrt(2.0), 1e-12)) for m in mad]


def build_detector(
    backbone: str,
    bands: list[str],
    side: int,
    n_classes: int,
    mode: str,
    s: DetectSettings,
    sky: list[float] | None = None,
) -> Detector:
    """The backbone at the image's size plus a detection head seeded by `s.seed`; with `sky`
    (per-band noise) and stretch "auto", a backbone without pixel statistics sees
    asinh(x / sky)."""
    encoder = create_backbone(backbone, bands=bands, img_size=side, adapt=s.embed.adapt)
    recipe = input_preparation(
        encoder.meta.to_dict(), list(range(len(bands))), bands, side, nan_policy="error"
    )
    recipe["crop_to"] = None  # boxes are in the whole image's pixels
    trivial = not any(recipe["mean"]) and all(v == 1.0 for v in recipe["std"])
    if s.stretch == "auto" and sky is not None and trivial and not recipe["asinh_softening"]:
        recipe["asinh_softening"] = list(sky)
    config = DetectorConfig(
        n_classes=n_classes,
        image_size=side,
        mode=mode,
        neck=s.neck,
        pyramid_channels=s.pyramid_channels,
        box_head_width=s.box_head_width,
        anchor_sizes=tuple(s.anchor_sizes),
        score_threshold=s.score_threshold,
        detections_per_image=s.detections_per_image,
        proposals_train=s.proposals_train,
        proposals_test=s.proposals_test,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(s.seed)
        return Detector(encoder, config, recipe)


def detect(
    backbone: str,
    data: str | Path,
    mode: str | None,
    out: str | Path,
    settings: DetectSettings | dict[str, Any] | None = None,
) -> DetectionResult:
    """Train and evaluate a detector; see the module docstring for what is written.

    Args:
        backbone: any backbone spec (built-in, timm:, hf:, ckpt:).
        data: a cutout file with /boxes.
        mode: "frozen" (train the neck and heads) or "finetune" (everything, layer decay);
            None: settings.mode.
        out: output folder.
        settings: DetectSettings or a dict of its fields.

    Returns:
        The metrics and run information (also in out/metrics.json).
    """
    s = settings if isinstance(settings, DetectSettings) else detect_settings(settings or {})
    mode = mode or s.mode
    path, out = Path(data), Path(out)
    splits, names, (bands, side) = _splits(path, s.split_seed)
    sky = sky_sigma(path, splits["train"]) if s.stretch == "auto" else None
    model = build_detector(backbone, bands, side, len(names), mode, s, sky)
    trainer = _trainer(model, path, splits, s, out, mode)
    clock = (time.perf_counter(), time.process_time())
    history = trainer.fit(resume=s.resume)
    cost: dict[str, Any] = {
        "train_seconds": time.perf_counter() - clock[0],
        "train_cpu_seconds": time.process_time() - clock[1],
        "epochs_run": len(history.epochs),
        "best_epoch": history.best_epoch,
        "train_images_per_second": history.epochs[-1].images_per_second if history.epochs else 0,
    }
    trainer.load_best()
    started = time.perf_counter()
    test = splits["test"]
    predictions = predict_boxes(
        trainer.evaluated_module(), path, test, s.batch_size, trainer.device
    )
    cost["eval_seconds"] = time.perf_counter() - started
    cost["inference_images_per_second"] = len(test) / max(cost["eval_seconds"], 1e-9)
    ids = [int(i) for i in test]
    truth = truth_of(path, test)
    gt = coco_ground_truth(truth, (side, side), names, ids)
    results = coco_results(predictions, ids)
    metrics = coco_metrics(gt, results)
    write_json_atomic(out / "gt.json", gt)
    write_json_atomic(out / "predictions.json", results)
    info = {
        "backbone": backbone,
        "data": str(path),
        "mode": mode,
        "neck": model.neck_name,
        "input_asinh_softening": model.rcnn.backbone.recipe["asinh_softening"],
        "class_names": names,
        **{f"n_{name}": len(rows) for name, rows in splits.items()},
        **cost,
        "params_total": sum(p.numel() for p in model.parameters()),
        "params_trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "peak_memory_bytes": peak_memory_bytes(trainer.device),
        "settings": s.model_dump(mode="json"),
    }
    write_json_atomic(out / "metrics.json", {"metrics": metrics, **info})
    return DetectionResult(out, metrics, info, test, truth, predictions, thumbnails(path, test))


def thumbnails(path: Path, indices: np.ndarray) -> np.ndarray:
    """asinh colour composites [n, H, W, 3] uint8 of objects `indices` (data show's recipe)."""
    from astrobench.data.show import _default_bands, colour_composite

    with CutoutFile(path) as cutouts:
        channels = cutouts.band_indices(_default_bands(cutouts.bands))
        images = cutouts.read_images(indices)  # [n, C, H, W]
    if len(channels) != 3:  # one or two bands: grey composites of the first
        channels = [channels[0]] * 3
    return (
        np.stack([(colour_composite(image[channels]) * 255).astype(np.uint8) for image in images])
        if len(images)
        else np.zeros((0, *images.shape[2:], 3), np.uint8)
    )


def _trainer(
    model: Detector,
    path: Path,
    splits: dict[str, np.ndarray],
    s: DetectSettings,
    out: Path,
    mode: str,
) -> Trainer:
    config = TrainConfig(
        epochs=s.epochs,
        batch_size=s.batch_size,
        lr=s.lr,
        weight_decay=s.weight_decay,
        warmup_epochs=s.warmup_epochs,
        clip_grad_norm=s.clip_grad_norm,
        seed=s.seed,
        device=s.device,  # type: ignore[arg-type]
        num_workers=s.num_workers,
        monitor="val_AP50",
        extra={"task": "detection", "mode": mode, "data": str(path)},
    )
    decay = s.layer_decay if mode == "finetune" else 1.0
    groups = param_groups(model, s.weight_decay, model.depth_groups(), decay)
    dataset = DetectionDataset(path, splits["train"], augment=s.augment)

    def loss_fn(module: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        losses = module(batch["image"], unpad_targets(batch))
        return sum(losses.values())

    def evaluate_fn(module: nn.Module) -> dict[str, float]:
        device = next(module.parameters()).device
        predicted = predict_boxes(module, path, splits["val"], s.batch_size, device)
        truth = truth_of(path, splits["val"])
        side = int(model.config.image_size)
        names = [str(k) for k in range(model.config.n_classes)]
        return {"val_AP50": detection_metrics(truth, predicted, (side, side), names)["AP50"]}

    return Trainer(
        model,
        loss_fn,
        dataset,
        config,
        out,
        param_groups=groups,
        evaluate_fn=evaluate_fn if len(splits["val"]) else None,
    )
