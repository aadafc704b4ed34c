"""`HybridPhotoZ`: AstroMAE's fine-tuning architecture and its Table IV relatives (seed 001 Fig.
6-7): the parts a variant names (a ViT encoder, the Inception branch, the magnitude block) side
by side, their features concatenated, then a small MLP head to the redshift.

The ViT sees the images prepared exactly as in embedding and fine-tuning (`recipe`); the
Inception branch sees the same crop, stretch and per-band normalisation at the data's own
resolution (`cnn_recipe`, no resize). A frozen encoder stays in eval mode while the rest trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.hybrid.inception import InceptionBranch
from astrobench.models.hybrid.magnitude import MagnitudeBlock
from astrobench.models.hybrid.variants import HybridVariant
from astrobench.models.input_preparation import prepare_inputs

HEAD_HIDDEN = 128


def mlp_head(in_features: int, n_layers: int, hidden: int, n_outputs: int) -> nn.Sequential:
    """`n_layers` linear layers with a ReLU between each pair."""
    widths = [in_features] + [hidden] * (n_layers - 1) + [n_outputs]
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < n_layers - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class HybridPhotoZ(nn.Module):
    """(images [B, C, H, W], magnitudes [B, M]) -> outputs [B, n_outputs]."""

    def __init__(
        self,
        variant: HybridVariant,
        *,
        encoder: Backbone | None,
        inception: InceptionBranch | None,
        magnitude: MagnitudeBlock | None,
        recipe: dict[str, Any],
        cnn_recipe: dict[str, Any],
        head_hidden: int = HEAD_HIDDEN,
        n_outputs: int = 1,
    ) -> None:
        super().__init__()
        for part, module in (("vit", encoder), ("inception", inception), ("magnitude", magnitude)):
            if (part in variant.parts) != (module is not None):
                raise ConfigError(f"variant {variant.name} and the given {part} part disagree")
        self.variant = variant
        self.encoder = encoder
        self.inception = inception
        self.magnitude = magnitude
        self.recipe = recipe
        self.cnn_recipe = cnn_recipe
        features = sum(
            width
            for width, module in (
                (encoder.num_features if encoder is not None else 0, encoder),
                (inception.out_channels if inception is not None else 0, inception),
                (magnitude.out_features if magnitude is not None else 0, magnitude),
            )
            if module is not None
        )
        self.head = mlp_head(features, variant.head_layers, head_hidden, n_outputs)
        if variant.frozen_encoder:
            self.freeze_encoder()

    @property
    def needs_magnitudes(self) -> bool:
        return self.magnitude is not None

    def freeze_encoder(self) -> None:
        """Freeze the ViT except its final norm (seed 001 §III-A: all but the last layers)."""
        assert self.encoder is not None
        groups = self.encoder.depth_groups()
        final = set(groups[-1]) if groups else set()
        for name, parameter in self.encoder.named_parameters():
            parameter.requires_grad_(name in final)

    def train(self, mode: bool = True) -> HybridPhotoZ:
        super().train(mode)
        if self.encoder is not None and self.variant.frozen_encoder:
            self.encoder.eval()  # no dropout / drop-path in a frozen encoder
        return self

    def features(self, images: torch.Tensor, magnitudes: torch.Tensor | None) -> torch.Tensor:
        """The concatenated features of every part: [B, D_vit + D_inception + D_magnitude]."""
        parts: list[torch.Tensor] = []
        if self.encoder is not None:
            parts.append(self.encoder.forward_features(prepare_inputs(images, self.recipe)))
        if self.inception is not None:
            parts.append(self.inception(prepare_inputs(images, self.cnn_recipe)))
        if self.magnitude is not None:
            if magnitudes is None:
                raise ConfigError(
                    f"variant {self.variant.name} needs magnitudes",
                    "give the mag_<band> columns (--magnitudes)",
                )
            parts.append(self.magnitude(magnitudes))
        return torch.cat(parts, dim=1)

    def forward(self, images: torch.Tensor, magnitudes: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(images, magnitudes))  # [B, n_outputs]


@dataclass(frozen=True)
class ImageStats:
    """Per-band mean and std of the (prepared) training images, for the Inception branch."""

    mean: Sequence[float]
    std: Sequence[float]


def cnn_recipe_from(recipe: dict[str, Any], stats: ImageStats | None) -> dict[str, Any]:
    """The ViT's recipe at the data's own size; with `stats`, their per-band normalisation."""
    out = {**recipe, "resize_to": None}
    if stats is not None:
        out["mean"], out["std"] = list(stats.mean), list(stats.std)
    return out
