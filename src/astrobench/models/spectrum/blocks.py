"""Transformer pieces for the spectrum encoder and the CLIP heads (pre-norm, SDPA attention).

Initialisation follows seed 003 footnote 6: linear weights inside the blocks are drawn from
N(0, (2 x fan_in x depth)^-1/2), so deeper stacks of residual branches start smaller.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head self-attention through `scaled_dot_product_attention`."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape  # [B, N, D]
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each [B, H, N, D/H]
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # [B, H, N, D/H]
        return self.proj(out.transpose(1, 2).reshape(b, n, d))  # [B, N, D]


class Mlp(nn.Module):
    """Linear - GELU - dropout - Linear."""

    def __init__(self, dim: int, hidden: int, out: int | None = None, dropout: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, out or dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(F.gelu(self.fc1(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, dropout: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dropout=dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x)))  # [B, N, D]
        return x + self.drop(self.mlp(self.norm2(x)))  # [B, N, D]


def init_by_depth(module: nn.Module, depth: float) -> None:
    """Linear weights ~ N(0, (2 fan_in depth)^-1/2), biases 0 (seed 003 footnote 6)."""
    if isinstance(module, nn.Linear):
        std = 1.0 / math.sqrt(2.0 * module.in_features * depth)
        nn.init.trunc_normal_(module.weight, std=std, a=-3 * std, b=3 * std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
