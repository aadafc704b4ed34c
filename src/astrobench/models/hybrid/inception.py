"""The Inception branch of AstroMAE (seed 001 §II-D and §II-E b, Fig. 3).

An Inception block runs four parallel branches on the same input and concatenates them along
channels: a 1x1 convolution; a 1x1 reduction then a 3x3; a 1x1 reduction then a 5x5; and a 3x3
max-pool then a 1x1 projection. The branch stacks five blocks; the last has no 5x5 path because
its input is too small for a 5x5 kernel (the paper's reason).

Channel widths are not given in seed 001 (Fig. 3 shows only the topology). We take the shape of
the Pasquet et al. (2019) / Henghes et al. network the paper builds on: a small convolutional
stem, widths that grow with depth while the map shrinks, and 1x1 reductions to about half (3x3)
and a quarter (5x5) of the branch width so the block stays cheap. Per block, (1x1, 3x3 reduce,
3x3, 5x5 reduce, 5x5, pool proj):

    block 1 (32 px):  32, 24, 32,  8, 16, 16   -> 96 channels, then 2x2 max-pool
    block 2 (16 px):  32, 24, 32,  8, 16, 16   -> 96
    block 3 (16 px):  48, 32, 64, 12, 24, 24   -> 160, then 2x2 max-pool
    block 4 ( 8 px):  48, 32, 64, 12, 24, 24   -> 160, then 2x2 max-pool
    block 5 ( 4 px):  64, 48, 96,  -,  -, 32   -> 192 (no 5x5 path: a 5x5 kernel on a 4x4 map
                                                  would see mostly padding)

so a 32 px cutout reaches block 5 at 4x4, as in the paper. `width` scales every width (0.5 for
quick CPU runs); the output is the global average of the last block, [B, out_channels].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class InceptionWidths:
    """Output channels of each path of one block; `five == 0` drops the 5x5 path."""

    one: int
    three_reduce: int
    three: int
    five_reduce: int
    five: int
    pool: int

    @property
    def out_channels(self) -> int:
        return self.one + self.three + self.five + self.pool

    def scaled(self, width: float) -> InceptionWidths:
        def s(c: int) -> int:
            return 0 if c == 0 else max(1, round(c * width))

        return InceptionWidths(
            *(
                s(c)
                for c in (
                    self.one,
                    self.three_reduce,
                    self.three,
                    self.five_reduce,
                    self.five,
                    self.pool,
                )
            )
        )


# (widths, max-pool 2x2 after the block)
ASTROMAE_BLOCKS: tuple[tuple[InceptionWidths, bool], ...] = (
    (InceptionWidths(32, 24, 32, 8, 16, 16), True),
    (InceptionWidths(32, 24, 32, 8, 16, 16), False),
    (InceptionWidths(48, 32, 64, 12, 24, 24), True),
    (InceptionWidths(48, 32, 64, 12, 24, 24), True),
    (InceptionWidths(64, 48, 96, 0, 0, 32), False),
)
STEM_CHANNELS = 32


def _conv(in_ch: int, out_ch: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2), nn.ReLU())


class InceptionBlock(nn.Module):
    """Four (or three, without 5x5) parallel paths concatenated: [B, C, H, W] -> [B, C', H, W]."""

    def __init__(self, in_channels: int, widths: InceptionWidths) -> None:
        super().__init__()
        self.widths = widths
        self.one = _conv(in_channels, widths.one, 1)
        self.three = nn.Sequential(
            _conv(in_channels, widths.three_reduce, 1), _conv(widths.three_reduce, widths.three, 3)
        )
        self.five = (
            nn.Sequential(
                _conv(in_channels, widths.five_reduce, 1), _conv(widths.five_reduce, widths.five, 5)
            )
            if widths.five > 0
            else None
        )
        self.pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), _conv(in_channels, widths.pool, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        paths = [self.one(x), self.three(x)]  # each [B, c_i, H, W]
        if self.five is not None:
            paths.append(self.five(x))
        paths.append(self.pool(x))
        return torch.cat(paths, dim=1)  # [B, out_channels, H, W]


class InceptionBranch(nn.Module):
    """Stem + five Inception blocks + global average pool: [B, C, H, W] -> [B, out_channels]."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        super().__init__()
        stem = max(1, round(STEM_CHANNELS * width))
        self.stem = _conv(in_channels, stem, 3)
        layers: list[nn.Module] = []
        channels = stem
        for widths, pool_after in ASTROMAE_BLOCKS:
            scaled = widths.scaled(width)
            layers.append(InceptionBlock(channels, scaled))
            channels = scaled.out_channels
            if pool_after:
                layers.append(nn.MaxPool2d(2))
        self.blocks = nn.Sequential(*layers)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.blocks(self.stem(x))  # [B, C5, h, w]
        return features.mean(dim=(-2, -1))  # [B, C5]
