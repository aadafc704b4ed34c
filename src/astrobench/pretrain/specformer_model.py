"""Masked spectrum modelling (seed 003 §2.2, §5.2, Appendix D): hide contiguous spans of window
tokens, reconstruct them from the rest, MSE on the hidden tokens only.

    flux [B, L] -> tokens [B, K+1, W+2] -> spans of window tokens set to 0 (the statistics
    token is never hidden) -> encoder [B, K+1, D] -> linear head [B, K, W] -> weighted MSE
    over the pixels of hidden windows, each pixel weighted by its relative inverse variance.

The K windows are cut into `n_spans` equal segments and one span of `span_tokens` consecutive
windows is hidden at a random place inside each, so spans never overlap (as in the public
AstroCLIP code). The default span is K // 16 windows: six spans hide about 37 % of the windows,
the fraction of DESI's six spans of 50 among 777 windows.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.spectrum.specformer import SpecFormer
from astrobench.models.spectrum.tokenize import N_STAT_SLOTS, pixel_weights, standardise, windows


def span_mask(
    batch: int, n_windows: int, n_spans: int, span_tokens: int, device: torch.device | None = None
) -> torch.Tensor:
    """Boolean mask [B, K], True on `n_spans` non-overlapping spans of `span_tokens` windows."""
    segment = n_windows // n_spans
    if span_tokens < 1 or segment < span_tokens:
        raise ConfigError(
            f"{n_spans} spans of {span_tokens} windows do not fit in {n_windows} windows",
            "use fewer or shorter mask spans",
        )
    offsets = torch.randint(0, segment - span_tokens + 1, (batch, n_spans))  # [B, S]
    starts = (torch.arange(n_spans) * segment)[None, :] + offsets  # [B, S]
    position = torch.arange(n_windows)[None, None, :]  # [1, 1, K]
    inside = (position >= starts[..., None]) & (position < starts[..., None] + span_tokens)
    return inside.any(dim=1).to(device)  # [B, K]


def windows_to_pixels(values: torch.Tensor, mask: torch.Tensor, stride: int, n_pixels: int):
    """Average window values [B, K, W] where `mask` [B, K] is True back onto pixels [B, L].

    Pixels no selected window covers are NaN.
    """
    b, k, w = values.shape
    pixel = (torch.arange(k)[:, None] * stride + torch.arange(w)[None, :]).reshape(-1)  # [K*W]
    weight = mask[..., None].expand(b, k, w).reshape(b, -1).to(values.dtype)  # [B, K*W]
    sums = values.new_zeros(b, n_pixels).index_add_(1, pixel, values.reshape(b, -1) * weight)
    counts = values.new_zeros(b, n_pixels).index_add_(1, pixel, weight)  # [B, L]
    return torch.where(counts > 0, sums / counts.clamp_min(1), torch.nan)


class MaskedSpectrumModel(nn.Module):
    """A SpecFormer encoder plus the linear head that reconstructs hidden windows."""

    def __init__(self, encoder: SpecFormer, n_spans: int = 6, span_tokens: int | None = None):
        super().__init__()
        self.encoder = encoder
        self.n_spans = n_spans
        n_windows = encoder.windowing.n_windows
        self.span_tokens = span_tokens or max(1, n_windows // 16)
        span_mask(1, n_windows, n_spans, self.span_tokens)  # fail fast when spans do not fit
        self.head = nn.Linear(encoder.num_features, encoder.windowing.window)

    def reconstruct(
        self, flux: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(predicted windows [B, K, W], target windows [B, K, W], mask [B, K]) of flux [B, L]."""
        windowing = self.encoder.windowing
        tokens = self.encoder.tokenize(flux)  # [B, K+1, W+2]
        if mask is None:
            mask = span_mask(len(flux), windowing.n_windows, self.n_spans, self.span_tokens)
        mask = mask.to(tokens.device)
        target = tokens[:, 1:, N_STAT_SLOTS:].clone()  # [B, K, W] standardised windows
        hidden = tokens.clone()
        hidden[:, 1:][mask] = 0.0
        pred = self.head(self.encoder.encode_tokens(hidden)[:, 1:])  # [B, K, W]
        return pred, target, mask

    def forward(
        self, flux: torch.Tensor, ivar: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Masked-window MSE, weighted by relative inverse variance (scalar).

        `mask` [B, K] fixes the hidden windows (None: random spans).
        """
        pred, target, mask = self.reconstruct(flux, mask)
        weight = windows(pixel_weights(ivar, flux.float()), self.encoder.windowing)  # [B, K, W]
        weight = weight * mask[..., None]
        return (weight * (pred - target) ** 2).sum() / weight.sum().clamp_min(1e-12)

    def param_groups(self, weight_decay: float) -> list[dict[str, Any]]:
        """AdamW groups: decay on matrices; none on norms, biases and position embeddings."""
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for name, param in self.named_parameters():
            if not param.requires_grad:
                continue
            (no_decay if param.ndim <= 1 or name.endswith("pos_embed") else decay).append(param)
        return [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]


def standardised_flux(flux: torch.Tensor) -> torch.Tensor:
    """Flux [B, L] in the units the model reconstructs (own mean and floored std removed)."""
    return standardise(flux.float())[0]
