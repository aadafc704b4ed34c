"""The pcm-transformer layer: a parallel convolution module (PCM) beside self-attention.

AstroMAE (seed 001 §II-B, after ViTAE) adds to each pre-norm transformer block a convolution
branch that sees the tokens as a 2-D image, so the block gets a CNN's locality on top of the
global dependencies of attention. The branch output is added to the residual stream together
with the attention output:

    x = x + Attention(LN(x)) + PCM(x)
    x = x + MLP(LN(x))
    PCM = conv3x3 -> norm -> SiLU -> conv3x3 -> norm -> SiLU -> conv3x3

Under MAE masking only the visible tokens exist. They are scattered back onto the zero-filled
patch grid, convolved, and the visible positions gathered again; masked positions are reset to
zero after each convolution so that no information leaks through them (a masked convolution).
The paper's BatchNorm is replaced by a per-position LayerNorm over channels: BatchNorm
statistics would count the masked zeros during pretraining and differ on full images later.

The block is a drop-in `block_fn` for timm's VisionTransformer (same constructor keywords as
timm's `Block`); called on full images it infers the square patch grid from the token count.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from timm.models.vision_transformer import Block
from torch import nn


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of a [B, D, H, W] map, independently at every position."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # [B, D, H, W]


class ParallelConvModule(nn.Module):
    """Three grouped 3x3 convolutions on the patch grid, zeroing masked positions after each."""

    def __init__(self, dim: int, groups: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1, groups=groups)
        self.norm1 = ChannelLayerNorm(dim)
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1, groups=groups)
        self.norm2 = ChannelLayerNorm(dim)
        self.conv3 = nn.Conv2d(dim, dim, 3, padding=1, groups=groups)
        self.act = nn.SiLU()

    def forward(self, grid: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
        """grid [B, D, h, w] (zeros where masked), keep [B, 1, h, w] or None -> [B, D, h, w]."""
        x = self.act(self.norm1(self.conv1(grid)))
        x = x if keep is None else x * keep
        x = self.act(self.norm2(self.conv2(x)))
        x = x if keep is None else x * keep
        return self.conv3(x)


class PcmBlock(Block):
    """timm's pre-norm transformer `Block` plus a parallel convolution branch (pcm-transformer)."""

    def __init__(
        self, dim: int, num_heads: int, *args: Any, pcm_groups: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(dim, num_heads, *args, **kwargs)
        groups = pcm_groups if pcm_groups is not None else max(1, dim // 32)
        self.pcm = ParallelConvModule(dim, groups)

    def forward(
        self,
        x: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
        is_causal: bool = False,
        *,
        visible_ids: torch.Tensor | None = None,
        grid_size: int | None = None,
    ) -> torch.Tensor:
        """x [B, P + N, D] with P prefix tokens; `visible_ids` [B, N] positions on the grid."""
        conv = self._conv_branch(x, visible_ids, grid_size)  # [B, P + N, D]
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x), attn_mask=attn_mask)))
        x = x + conv
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))

    def _conv_branch(
        self, x: torch.Tensor, visible_ids: torch.Tensor | None, grid_size: int | None
    ) -> torch.Tensor:
        batch, n_tokens, dim = x.shape
        if visible_ids is None:
            side = grid_size or math.isqrt(n_tokens)
            n_prefix = n_tokens - side * side
            tokens = x[:, n_prefix:]  # [B, h*w, D]
            grid = tokens.transpose(1, 2).reshape(batch, dim, side, side)  # [B, D, h, w]
            out = self.pcm(grid, None).flatten(2).transpose(1, 2)  # [B, h*w, D]
        else:
            if grid_size is None:
                raise ValueError("visible_ids needs grid_size")
            n_prefix = n_tokens - visible_ids.shape[1]
            tokens = x[:, n_prefix:]  # [B, N_vis, D]
            index = visible_ids.unsqueeze(-1).expand(-1, -1, dim)  # [B, N_vis, D]
            flat = x.new_zeros(batch, grid_size * grid_size, dim).scatter(1, index, tokens)
            keep = x.new_zeros(batch, grid_size * grid_size).scatter(1, visible_ids, 1.0)
            grid = flat.transpose(1, 2).reshape(batch, dim, grid_size, grid_size)  # [B, D, h, w]
            keep_map = keep.reshape(batch, 1, grid_size, grid_size)  # [B, 1, h, w]
            out_flat = self.pcm(grid, keep_map).flatten(2).transpose(1, 2)  # [B, h*w, D]
            out = torch.gather(out_flat, 1, index)  # [B, N_vis, D]
        prefix = x.new_zeros(batch, n_prefix, dim)  # the class token gets no conv branch
        return self.drop_path1(torch.cat([prefix, out], dim=1))


def block_fn_for(layer: str) -> type[nn.Module]:
    """The timm `block_fn` of an encoder layer type: "plain" (timm Block) or "pcm" (PcmBlock)."""
    from astrobench.errors import ConfigError

    blocks: dict[str, type[nn.Module]] = {"plain": Block, "pcm": PcmBlock}
    if layer not in blocks:
        raise ConfigError(f"unknown encoder layer {layer!r}", "choose 'plain' or 'pcm'")
    return blocks[layer]
