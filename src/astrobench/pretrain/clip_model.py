"""The CLIP alignment model: two cross-attention heads, the logit scale, and optionally the
towers (when tokens are not cached, or when the towers are trained too).

A batch holds cached tokens ("image_tokens" [B, N_i, D_i], "spectrum_tokens" [B, N_s, D_s]) or
raw data ("image" [B, C, H, W], "spectrum" [B, L]); raw data goes through the towers, under
no_grad unless the towers are being trained.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from astrobench.models.aligned.encoder import AlignedEncoder
from astrobench.models.aligned.head import CrossAttentionHead
from astrobench.pretrain.clip_loss import info_nce
from astrobench.pretrain.clip_towers import Towers

MAX_LOGIT_SCALE = 100.0


class ClipModel(nn.Module):
    """Heads (+ towers) and the InfoNCE loss of one image-spectrum batch."""

    def __init__(
        self,
        image_head: CrossAttentionHead,
        spectrum_head: CrossAttentionHead,
        logit_scale: float = 15.5,
        learnable_scale: bool = False,
        towers: Towers | None = None,
        train_towers: bool = False,
    ) -> None:
        super().__init__()
        self.image_head = image_head
        self.spectrum_head = spectrum_head
        log_scale = torch.tensor(math.log(logit_scale))
        if learnable_scale:
            self.log_logit_scale = nn.Parameter(log_scale)
        else:
            self.register_buffer("log_logit_scale", log_scale)
        self.towers = towers
        self.train_towers = train_towers
        if towers is not None:  # submodules, so they move with the model (and train if asked)
            self.image_tower = towers.image
            self.spectrum_tower = towers.spectrum

    def train(self, mode: bool = True) -> ClipModel:
        super().train(mode)
        if self.towers is not None and not self.train_towers:
            self.image_tower.eval()
            self.spectrum_tower.eval()
        return self

    def logit_scale(self) -> torch.Tensor:
        return self.log_logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def _tokens(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        if "image_tokens" in batch:
            return batch["image_tokens"], batch["spectrum_tokens"]
        assert self.towers is not None, "raw batches need the towers"
        with torch.set_grad_enabled(self.train_towers and torch.is_grad_enabled()):
            return (
                self.towers.image_tokens(batch["image"]),  # [B, N_i, D_i]
                self.towers.spectrum_tokens(batch["spectrum"]),  # [B, N_s, D_s]
            )

    def embed_pair(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """Unnormalised embeddings ([B, E], [B, E]) of the images and spectra of `batch`."""
        image_tokens, spectrum_tokens = self._tokens(batch)
        return self.image_head(image_tokens), self.spectrum_head(spectrum_tokens)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        """Symmetric InfoNCE of the batch (scalar)."""
        z_image, z_spectrum = self.embed_pair(batch)
        return info_nce(z_image, z_spectrum, self.logit_scale())

    def aligned_encoders(self, towers: Towers) -> dict[str, AlignedEncoder]:
        """{"image": ..., "spectrum": ...}: each tower with its head (the exported encoders)."""
        return {
            "image": AlignedEncoder(towers.image, self.image_head),
            "spectrum": AlignedEncoder(towers.spectrum, self.spectrum_head),
        }

    def param_groups(self, weight_decay: float) -> list[dict[str, Any]]:
        """AdamW groups over trainable parameters: decay on weight matrices only (not on norms,
        biases, position embeddings, the learned queries or the logit scale)."""
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for name, param in self.named_parameters():
            if param.requires_grad:
                matrix = param.ndim >= 2 and not name.endswith(("query", "pos_embed"))
                (decay if matrix else no_decay).append(param)
        return [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
