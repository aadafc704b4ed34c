"""The `specformer` encoder family: the spectrum encoders of `astrobench pretrain specformer`."""

from __future__ import annotations

from typing import Any

import torch

from astrobench.models.backbone import Backbone
from astrobench.models.spec import BuildOptions
from astrobench.models.spectrum.checkpoint import build_specformer
from astrobench.registry import register_encoder_family


@register_encoder_family("specformer")
def build_specformer_encoder(
    state: dict[str, torch.Tensor], sidecar: dict[str, Any], options: BuildOptions, source: str
) -> Backbone:
    """Rebuild the SpecFormer the sidecar describes (its grid, windows, size) and load it."""
    encoder = build_specformer(sidecar, state)
    encoder.meta.spec = source
    encoder.meta.pretrained = True
    encoder.meta.extra["sidecar"] = sidecar
    return encoder
