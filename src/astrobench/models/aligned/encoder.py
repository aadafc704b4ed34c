"""An aligned encoder: one tower of a CLIP pair (image or spectrum) followed by its
cross-attention head, answering the same encoder API as any backbone.

    input -> tower.forward_tokens [B, N, D] -> head [B, E] -> L2-normalised [B, E]

Its metadata is the tower's (bands, normalisation, input size), so every protocol prepares
inputs for it exactly as for the bare tower; only `num_features` (E) and the spec differ.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from astrobench.models.aligned.head import CrossAttentionHead
from astrobench.models.backbone import Backbone


class AlignedEncoder(Backbone):
    """`tower` (any Backbone with forward_tokens) + `head`; features are unit vectors."""

    def __init__(self, tower: Backbone, head: CrossAttentionHead, spec: str = "") -> None:
        super().__init__()
        self.tower = tower
        self.head = head
        self.modality = str(getattr(tower, "modality", "image"))
        extra = {**tower.meta.extra, "modality": self.modality, "aligned": True}
        self.meta = replace(
            tower.meta,
            spec=spec or tower.meta.spec,
            num_features=head.config.embed_dim,
            extra=extra,
        )

    def check_grid(self, wavelength_angstrom: Any, source: str = "the data") -> None:
        """The spectrum tower's grid check (see SpecFormer.check_grid)."""
        self.tower.check_grid(wavelength_angstrom, source)  # type: ignore[operator]

    def forward_tokens(self, x: Any) -> torch.Tensor:
        """The tower's final tokens [B, N, D]."""
        return self.tower.forward_tokens(x)

    def forward_features(self, x: Any) -> torch.Tensor:
        """Aligned, L2-normalised embedding [B, E]."""
        return self.head.embed(self.tower.forward_tokens(x))

    def depth_groups(self) -> list[list[str]]:
        groups = [[f"tower.{n}" for n in g] for g in self.tower.depth_groups()]
        return [*groups, [f"head.{n}" for n, _ in self.head.named_parameters()]]
