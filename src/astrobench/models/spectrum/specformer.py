"""SpecFormer: the spectrum encoder of AstroCLIP (seed 003 §3.2, Appendix B2).

    flux [B, L] -> tokens [B, K+1, W+2] (statistics token + overlapping windows, tokenize.py)
                -> linear embedding + learned positions [B, K+1, D]
                -> pre-norm transformer blocks -> final LayerNorm [B, K+1, D]

The encoder answers the encoder API every modality shares: `modality`, `forward_features(batch)
-> [B, D]` (mean of the final tokens), `forward_tokens(batch) -> [B, K+1, D]` and
`forward_intermediates(batch, indices)`. A batch is a flux tensor [B, L] or a sample dict
holding "spectrum". It knows the wavelength grid it was built for and refuses any other
(`check_grid`): a window means nothing on a grid it was not trained on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.errors import ConfigError, DataFormatError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.spectrum.blocks import Block, init_by_depth
from astrobench.models.spectrum.tokenize import Windowing, tokenize

# (width, blocks, heads); "paper" is seed 003 Appendix B2: 768 wide, 6 blocks, 6 heads (43 M).
SPECFORMER_SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (64, 2, 2),
    "small": (256, 4, 4),
    "base": (512, 6, 8),
    "paper": (768, 6, 6),
}
GRID_TOLERANCE_ANGSTROM = 1e-3


@dataclass
class SpecFormerConfig:
    """Everything needed to rebuild a SpecFormer (stored in the encoder sidecar)."""

    n_pixels: int
    wavelength_min_angstrom: float
    wavelength_max_angstrom: float
    size: str = "tiny"
    window: int = 20
    stride: int = 10
    dropout: float = 0.0
    pooling: str = "mean"  # "mean" of all final tokens, or "first" (the statistics token)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SpecFormerConfig:
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    @property
    def windowing(self) -> Windowing:
        return Windowing(self.n_pixels, self.window, self.stride)


def check_specformer_config(config: SpecFormerConfig) -> None:
    """Raise ConfigError for a size, windowing or pooling the encoder cannot be built with."""
    if config.size not in SPECFORMER_SIZES:
        raise ConfigError(
            f"unknown spectrum encoder size {config.size!r}",
            f"choose one of {', '.join(SPECFORMER_SIZES)}",
        )
    if not 1 <= config.stride <= config.window:
        raise ConfigError(
            f"window stride {config.stride} must be between 1 and the window ({config.window})"
        )
    if config.windowing.n_windows < 2:
        raise ConfigError(
            f"spectra of {config.n_pixels} pixels hold fewer than two windows of {config.window}",
            "use a smaller --window or longer spectra",
        )
    if config.pooling not in ("mean", "first"):
        raise ConfigError(f"unknown spectrum pooling {config.pooling!r}", "use mean or first")


class SpecFormer(Backbone):
    """Transformer over overlapping spectrum windows; see the module docstring."""

    modality = "spectrum"

    def __init__(self, config: SpecFormerConfig, spec: str = "specformer") -> None:
        super().__init__()
        check_specformer_config(config)
        self.config = config
        width, depth, heads = SPECFORMER_SIZES[config.size]
        self.windowing = config.windowing
        self.embed = nn.Linear(self.windowing.token_width, width)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.windowing.n_tokens, width))
        self.blocks = nn.ModuleList(
            [Block(width, heads, dropout=config.dropout) for _ in range(depth)]
        )
        self.norm = nn.LayerNorm(width)
        self.meta = BackboneMeta(
            spec=spec,
            in_chans=1,
            img_size=config.n_pixels,
            num_features=width,
            pooling=config.pooling,
            source="astrobench specformer",
            extra={"modality": "spectrum", "specformer": config.to_dict()},
        )
        self._init_weights(width, depth)

    def _init_weights(self, width: int, depth: int) -> None:
        std = width**-0.5
        nn.init.trunc_normal_(self.embed.weight, std=std, a=-3 * std, b=3 * std)
        nn.init.zeros_(self.embed.bias)
        nn.init.trunc_normal_(self.pos_embed, std=std, a=-3 * std, b=3 * std)
        self.blocks.apply(lambda m: init_by_depth(m, depth))

    # ----------------------------------------------------------------------------- inputs
    def check_grid(self, wavelength_angstrom: np.ndarray | None, source: str = "the data") -> None:
        """Raise DataFormatError unless `wavelength_angstrom` is the grid this encoder knows."""
        c = self.config
        if wavelength_angstrom is None:
            raise DataFormatError(f"{source} has no /wavelength grid", "spectra need their grid")
        grid = np.asarray(wavelength_angstrom, dtype=np.float64)
        same = grid.size == c.n_pixels and (
            abs(grid[0] - c.wavelength_min_angstrom) <= GRID_TOLERANCE_ANGSTROM
            and abs(grid[-1] - c.wavelength_max_angstrom) <= GRID_TOLERANCE_ANGSTROM
        )
        if not same:
            raise DataFormatError(
                f"{source} has spectra of {grid.size} pixels over "
                f"{grid[0]:.1f}-{grid[-1]:.1f} A; the spectrum encoder expects {c.n_pixels} "
                f"pixels over {c.wavelength_min_angstrom:.1f}-{c.wavelength_max_angstrom:.1f} A",
                "resample the spectra to the encoder's grid or pretrain an encoder on this grid",
            )

    def tokenize(self, batch: torch.Tensor | Mapping[str, Any]) -> torch.Tensor:
        """Input tokens [B, K+1, W+2] of a flux tensor [B, L] or a batch dict with "spectrum"."""
        flux = batch["spectrum"] if isinstance(batch, Mapping) else batch  # [B, L]
        if flux.shape[-1] != self.config.n_pixels:
            raise DataFormatError(
                f"spectra of {flux.shape[-1]} pixels given to an encoder of "
                f"{self.config.n_pixels} pixels",
                "resample the spectra to the encoder's wavelength grid",
            )
        return tokenize(flux.float(), self.windowing)

    # ----------------------------------------------------------------------------- forward
    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final tokens [B, K+1, D] of input tokens [B, K+1, W+2] (masked or not)."""
        x = self.embed(tokens) + self.pos_embed  # [B, K+1, D]
        for block in self.blocks:
            x = block(x)
        return self.norm(x)  # [B, K+1, D]

    def forward_tokens(self, x: Any) -> torch.Tensor:
        """Final tokens [B, K+1, D]: statistics token first, then one per window."""
        return self.encode_tokens(self.tokenize(x))

    def forward_features(self, x: Any) -> torch.Tensor:
        """Pooled embedding [B, D]."""
        tokens = self.forward_tokens(x)  # [B, K+1, D]
        return tokens[:, 0] if self.config.pooling == "first" else tokens.mean(dim=1)

    def forward_intermediates(self, x: Any, indices: int | Sequence[int] = 1) -> list[torch.Tensor]:
        """Outputs [B, K+1, D] of the blocks `indices` (an int n: the last n blocks).

        The last block's output is returned after the final LayerNorm, like forward_tokens.
        """
        depth = len(self.blocks)
        wanted = list(range(depth - indices, depth)) if isinstance(indices, int) else list(indices)
        if any(not 0 <= i < depth for i in wanted):
            raise ConfigError(f"block indices {wanted} outside 0..{depth - 1}")
        h = self.embed(self.tokenize(x)) + self.pos_embed  # [B, K+1, D]
        out = []
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i in wanted:
                out.append(self.norm(h) if i == depth - 1 else h)
        return out

    def depth_groups(self) -> list[list[str]]:
        names = [n for n, _ in self.named_parameters()]
        groups = [[n for n in names if n.startswith(("embed.", "pos_embed"))]]
        groups += [
            [n for n in names if n.startswith(f"blocks.{i}.")] for i in range(len(self.blocks))
        ]
        return [*groups, [n for n in names if n.startswith("norm.")]]
