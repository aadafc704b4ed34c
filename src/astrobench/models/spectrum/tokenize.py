"""Spectra to tokens (seed 003 §3.2, §4.1.2, Appendix B2).

Each spectrum is standardised by its own mean and standard deviation (the std floored, so a
flat, noise-free spectrum does not blow up), cut into overlapping windows of `window` pixels
every `stride` pixels, and preceded by one token that carries the mean and std the
standardisation removed, so amplitude information is not lost. Every token is `window + 2`
wide: window tokens hold their pixels in the last `window` slots; the leading token holds
asinh(mean) and log(std) in its first two slots, zeros elsewhere.

Inverse variances become per-pixel weights relative to the spectrum's own mean inverse
variance (0 where the pipeline masked a pixel), clipped so a few very precise pixels cannot
dominate the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

STD_FLOOR = 0.2  # flux units (seed 003 code: std.clip(0.2))
N_STAT_SLOTS = 2  # leading slots of every token: mean and std of the leading token
MAX_RELATIVE_WEIGHT = 10.0


@dataclass(frozen=True)
class Windowing:
    """How a spectrum of `n_pixels` is cut into tokens."""

    n_pixels: int
    window: int = 20
    stride: int = 10

    @property
    def n_windows(self) -> int:
        """Windows that fit entirely in the spectrum (a short tail is dropped)."""
        return (self.n_pixels - self.window) // self.stride + 1

    @property
    def n_tokens(self) -> int:
        """Windows plus the leading statistics token."""
        return self.n_windows + 1

    @property
    def token_width(self) -> int:
        return self.window + N_STAT_SLOTS


def standardise(flux: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(standardised flux [B, L], mean [B], floored std [B]) of flux [B, L]."""
    mean = flux.mean(dim=1)  # [B]
    std = flux.std(dim=1).clamp_min(STD_FLOOR)  # [B]
    return (flux - mean[:, None]) / std[:, None], mean, std


def windows(values: torch.Tensor, windowing: Windowing) -> torch.Tensor:
    """Overlapping windows of per-pixel values [B, L] -> [B, K, window]."""
    used = (windowing.n_windows - 1) * windowing.stride + windowing.window
    return values[:, :used].unfold(1, windowing.window, windowing.stride)  # [B, K, W]


def tokenize(flux: torch.Tensor, windowing: Windowing) -> torch.Tensor:
    """Tokens [B, K + 1, window + 2] of flux [B, L]: statistics token, then the windows."""
    z, mean, std = standardise(flux)
    patches = windows(z, windowing)  # [B, K, W]
    body = torch.nn.functional.pad(patches, (N_STAT_SLOTS, 0))  # [B, K, W + 2]
    head = torch.zeros_like(body[:, :1])  # [B, 1, W + 2]
    head[:, 0, 0] = torch.asinh(mean)
    head[:, 0, 1] = torch.log(std)
    return torch.cat([head, body], dim=1)  # [B, K + 1, W + 2]


def pixel_weights(ivar: torch.Tensor | None, flux: torch.Tensor) -> torch.Tensor:
    """Relative per-pixel weights [B, L]: ivar / mean ivar of the spectrum, clipped; 1 if none."""
    if ivar is None:
        return torch.ones_like(flux)
    ivar = torch.where(torch.isfinite(ivar) & (ivar > 0), ivar, torch.zeros_like(ivar))
    mean = ivar.sum(dim=1, keepdim=True) / (ivar > 0).sum(dim=1, keepdim=True).clamp_min(1)
    return (ivar / mean.clamp_min(1e-30)).clamp(max=MAX_RELATIVE_WEIGHT)  # [B, L]
