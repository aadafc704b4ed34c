"""The `clip-image` and `clip-spectrum` encoder families: the aligned towers of `pretrain clip`
(a tower plus its cross-attention head; `ckpt:DIR?modality=image|spectrum`)."""

from __future__ import annotations

from typing import Any

import torch

from astrobench.models.aligned.checkpoint import build_aligned
from astrobench.models.backbone import Backbone
from astrobench.models.spec import BuildOptions
from astrobench.registry import register_encoder_family


def build_aligned_encoder(
    state: dict[str, torch.Tensor], sidecar: dict[str, Any], options: BuildOptions, source: str
) -> Backbone:
    """Rebuild the tower from its recorded spec or configuration, then load tower and head."""
    encoder = build_aligned(sidecar, state, spec=source)
    encoder.meta.pretrained = True
    encoder.meta.extra["sidecar"] = sidecar
    return encoder


for _modality in ("image", "spectrum"):
    register_encoder_family(f"clip-{_modality}")(build_aligned_encoder)
