"""`Detector`: torchvision's Faster R-CNN (Ren et al. 2015) around any astrobench backbone.

Set for small astronomical sources, not for COCO photographs: images are never resized
(min_size = max_size = the image side), anchors are 8-128 px (one size per pyramid level,
aspect ratios 0.5, 1, 2), and torchvision's normalisation is the identity because pixels are
prepared by the backbone's own recipe (models.input_preparation: asinh stretch for our MAE
encoders, the model's mean/std), exactly as in embedding and fine-tuning.

Frozen mode trains the neck, RPN and box head only; the backbone stays in eval mode (its
BatchNorm statistics never move). Fine-tuning trains everything with the backbone's BatchNorm
statistics frozen (batches of a few fields are too small to estimate them) and layer-wise lr
decay over the backbone's depth groups (`Detector.depth_groups`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.detection.necks import LEVEL_NAMES, build_neck, default_neck
from astrobench.models.input_preparation import prepare_inputs

MODES = ("frozen", "finetune")
BACKBONE_PREFIX = "rcnn.backbone.encoder."


@dataclass(frozen=True)
class DetectorConfig:
    """Architecture of the detection head (the backbone is given separately)."""

    n_classes: int
    image_size: int
    mode: str = "finetune"
    neck: str | None = None  # None: simple_pyramid for token models, fpn for CNNs
    pyramid_channels: int = 128
    box_head_width: int = 256
    anchor_sizes: tuple[int, ...] = (8, 16, 32, 64, 128)
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    score_threshold: float = 0.05
    detections_per_image: int = 100
    rpn_batch_per_image: int = 256
    # Proposals kept after the RPN's NMS: a 64-128 px field holds tens of sources, not the
    # hundreds of a COCO photograph (torchvision's 2000 / 1000 cost most of the box head's time).
    proposals_train: int = 600
    proposals_test: int = 300
    box_batch_per_image: int = 128
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown detection mode {self.mode!r}", f"use {' or '.join(MODES)}")
        if self.n_classes < 1:
            raise ConfigError("a detector needs at least one box class")
        if len(self.anchor_sizes) != len(LEVEL_NAMES) + 1:
            raise ConfigError(
                f"anchor_sizes needs {len(LEVEL_NAMES) + 1} sizes (one per pyramid level), "
                f"got {list(self.anchor_sizes)}"
            )


class PyramidBody(nn.Module):
    """What Faster R-CNN calls its backbone: our pixel recipe, the encoder, then the neck."""

    def __init__(self, encoder: Backbone, neck: nn.Module, recipe: dict[str, Any]) -> None:
        super().__init__()
        self.encoder = encoder
        self.neck = neck
        self.recipe = {**recipe, "resize_to": None}  # boxes are in the image's own pixels
        self.out_channels = int(neck.out_channels)  # type: ignore[arg-type]

    def forward(self, images: torch.Tensor) -> Any:
        x = prepare_inputs(images, self.recipe)  # [B, C, H, W]
        return self.neck(self.encoder, x)  # OrderedDict of [B, out, H/s, W/s]


class Detector(nn.Module):
    """Faster R-CNN over `encoder`. In train mode `forward(images, targets)` returns the loss
    dict; in eval mode `forward(images)` returns one dict (boxes, scores, labels) per image,
    labels 0..n_classes-1 (torchvision's background class 0 is removed)."""

    def __init__(self, encoder: Backbone, config: DetectorConfig, recipe: dict[str, Any]) -> None:
        super().__init__()
        from torchvision.models.detection import FasterRCNN
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection.faster_rcnn import TwoMLPHead
        from torchvision.ops import MultiScaleRoIAlign

        self.config = config
        neck_name = config.neck or default_neck(encoder)
        neck = build_neck(neck_name, encoder, config.pyramid_channels, config.image_size)
        body = PyramidBody(encoder, neck, recipe)
        channels = len(recipe["mean"])
        anchors = AnchorGenerator(
            tuple((s,) for s in config.anchor_sizes),
            (tuple(config.aspect_ratios),) * len(config.anchor_sizes),
        )
        self.rcnn = FasterRCNN(
            body,
            min_size=config.image_size,
            max_size=config.image_size,
            image_mean=[0.0] * channels,
            image_std=[1.0] * channels,
            rpn_anchor_generator=anchors,
            box_roi_pool=MultiScaleRoIAlign(list(LEVEL_NAMES), 7, 2),
            box_head=TwoMLPHead(config.pyramid_channels * 49, config.box_head_width),
            box_predictor=_predictor(config),
            box_score_thresh=config.score_threshold,
            box_detections_per_img=config.detections_per_image,
            rpn_batch_size_per_image=config.rpn_batch_per_image,
            rpn_pre_nms_top_n_train=2 * config.proposals_train,
            rpn_post_nms_top_n_train=config.proposals_train,
            rpn_pre_nms_top_n_test=2 * config.proposals_test,
            rpn_post_nms_top_n_test=config.proposals_test,
            box_batch_size_per_image=config.box_batch_per_image,
        )
        # torchvision pads batches to a multiple of 32 px; a ViT is built for the field's own
        # side (48 px would become 64), and the necks cope with any side.
        self.rcnn.transform.size_divisible = 1
        self.neck_name = neck_name
        if config.mode == "frozen":
            encoder.requires_grad_(False)

    @property
    def encoder(self) -> Backbone:
        return self.rcnn.backbone.encoder

    def train(self, mode: bool = True) -> Detector:
        super().train(mode)
        if self.config.mode == "frozen":
            self.encoder.eval()
        else:
            for module in self.encoder.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(
        self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None
    ) -> Any:
        if self.training:
            shifted = [{**t, "labels": t["labels"] + 1} for t in targets or []]
            return self.rcnn(list(images), shifted)
        outputs = self.rcnn(list(images))
        return [{**o, "labels": o["labels"] - 1} for o in outputs]

    def depth_groups(self) -> list[list[str]]:
        """The encoder's depth groups, named as parameters of this module."""
        return [[BACKBONE_PREFIX + n for n in group] for group in self.encoder.depth_groups()]


def _predictor(config: DetectorConfig) -> nn.Module:
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor

    return FastRCNNPredictor(config.box_head_width, config.n_classes + 1)
