"""The magnitude block of AstroMAE (seed 001 §II-E c, Fig. 6c): an MLP of five linear layers with
ReLU between them, on the galaxy's catalog magnitudes (`mag_<band>` columns).

Magnitudes are standardised inside the block with the training split's per-column mean and
standard deviation (buffers, so a saved model carries them). Hidden widths (64, 64, 64, 64) and an
output of 32 are our choice: the paper gives the depth, not the widths, and five to a few tens of
inputs need no more.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from astrobench.errors import ConfigError

HIDDEN = (64, 64, 64, 64)
OUT_FEATURES = 32


class MagnitudeBlock(nn.Module):
    """[B, M] magnitudes -> [B, out_features], five linear layers with four ReLUs between them."""

    def __init__(
        self,
        n_magnitudes: int,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        hidden: Sequence[int] = HIDDEN,
        out_features: int = OUT_FEATURES,
    ) -> None:
        super().__init__()
        if n_magnitudes < 1:
            raise ConfigError("the magnitude block needs at least one magnitude column")
        if len(hidden) != 4:
            raise ConfigError(
                f"the magnitude block has five linear layers: 4 hidden widths, not {len(hidden)}"
            )
        mean_t = (
            torch.zeros(n_magnitudes)
            if mean is None
            else torch.tensor(list(mean), dtype=torch.float32)
        )
        std_t = (
            torch.ones(n_magnitudes)
            if std is None
            else torch.tensor(list(std), dtype=torch.float32)
        )
        if (
            mean_t.numel() != n_magnitudes
            or std_t.numel() != n_magnitudes
            or bool((std_t <= 0).any())
        ):
            raise ConfigError("magnitude mean/std need one value per column and every std > 0")
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", mean_t)
        self.register_buffer("std", std_t)
        widths = [n_magnitudes, *hidden, out_features]
        layers: list[nn.Module] = []
        for i in range(5):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < 4:
                layers.append(nn.ReLU())
        self.mlp = nn.Sequential(*layers)
        self.out_features = out_features

    def forward(self, magnitudes: torch.Tensor) -> torch.Tensor:
        x = (magnitudes.float() - self.mean) / self.std  # [B, M]
        return self.mlp(x)  # [B, out_features]
