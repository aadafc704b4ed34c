"""The AstroCLIP projection head (seed 003 §3.3, Appendix B3): one learned query attends over
all final tokens of a tower, then an MLP; outputs are L2-normalised embeddings.

    tokens [B, N, D_tower] -> keys, values [B, H, N, E/H]; query q [1, H, 1, E/H] (learned)
    -> z* = attention(q, K, V) [B, E] -> out projection -> LayerNorm -> MLP (E -> 4E -> E)
    -> z = z* + MLP(z*) (residual; the paper's spectrum head) or MLP(z*) -> z / |z|

Attention runs through `scaled_dot_product_attention`; `attention_weights` gives the maps of
seed 003 Appendix D (which tokens the query looks at, per head).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from astrobench.models.spectrum.blocks import Mlp


@dataclass
class HeadConfig:
    """Sizes of one cross-attention head (seed 003 B3: 512 wide, 4 heads)."""

    token_dim: int
    embed_dim: int = 512
    heads: int = 4
    residual: bool = False
    dropout: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class CrossAttentionHead(nn.Module):
    """Learned-query cross-attention pooling plus an MLP; see the module docstring."""

    def __init__(self, config: HeadConfig) -> None:
        super().__init__()
        if config.embed_dim % config.heads:
            raise ValueError(f"embedding {config.embed_dim} not divisible by {config.heads} heads")
        self.config = config
        e = config.embed_dim
        self.query = nn.Parameter(torch.randn(1, 1, e) * e**-0.5)
        self.norm_tokens = nn.LayerNorm(config.token_dim)
        self.key = nn.Linear(config.token_dim, e)
        self.value = nn.Linear(config.token_dim, e)
        self.out = nn.Linear(e, e)
        self.norm = nn.LayerNorm(e)
        self.mlp = Mlp(e, 4 * e, dropout=config.dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, e = x.shape  # [B, N, E]
        return x.reshape(b, n, self.config.heads, e // self.config.heads).transpose(1, 2)

    def _qkv(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        t = self.norm_tokens(tokens)  # [B, N, D]
        k, v = self._split(self.key(t)), self._split(self.value(t))  # [B, H, N, E/H]
        q = self._split(self.query.expand(len(tokens), -1, -1))  # [B, H, 1, E/H]
        return q, k, v

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Unnormalised embedding [B, E] of tower tokens [B, N, D]."""
        q, k, v = self._qkv(tokens)
        pooled = F.scaled_dot_product_attention(q, k, v)  # [B, H, 1, E/H]
        z = self.out(pooled.transpose(1, 2).reshape(len(tokens), -1))  # [B, E]
        mlp = self.mlp(self.norm(z))  # [B, E]
        return z + mlp if self.config.residual else mlp

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """L2-normalised embedding [B, E]."""
        return F.normalize(self(tokens), dim=-1)

    @torch.no_grad()
    def attention_weights(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attention of the query over the tokens, per head [B, H, N] (rows sum to 1)."""
        q, k, _ = self._qkv(tokens)
        scores = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5  # [B, H, 1, N]
        return scores.softmax(dim=-1)[:, :, 0]
