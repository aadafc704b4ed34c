"""The AstroCLIP projection head (seed 003 §3.3, Appendix B3): one learned query attends over
all final tokens of a tower, then an MLP; outputs are L2-normalised embeddings.

    tokens [B, N, D_tower] -> LayerNorm -> keys W_k t + b_k, values W_v t + b_v (E wide, H heads);
    query q [E] (learned) -> z* = out(softmax(q_h . k_h / sqrt(E/H)) v_h, heads concatenated)
    -> z = z* + MLP(LayerNorm(z*)) (residual; the paper's spectrum head) or MLP(...) -> z / |z|
    (MLP: E -> mlp_ratio E -> E, GELU)

This is standard multi-head cross-attention with one query, computed exactly but without
forming keys and values for every token: the query is folded into W_k, and tokens are pooled
before W_v (both linear). The cost per token falls from D x E to D x H multiply-adds, which is
what makes an alignment epoch over cached tokens cheap. `attention_weights` gives the maps of
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
    # Seed 003 B3: "two linear layers with 512 embedding dimensions" (hidden = E); the public
    # AstroCLIP code uses a 4E hidden layer (mlp_ratio=4).
    mlp_ratio: float = 1.0

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
        self.mlp = Mlp(e, int(config.mlp_ratio * e), dropout=config.dropout)

    def _scores(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(attention logits [B, H, N], normalised tokens [B, N, D]).

        With one query, q . (W_k t + b_k) = (W_k^T q) . t + const: the query is folded into the
        key weights once, so no [B, N, E] key tensor is ever formed (the constant cancels in
        the softmax).
        """
        c = self.config
        t = self.norm_tokens(tokens)  # [B, N, D]
        q = self.query.reshape(c.heads, -1)  # [H, E/H]
        w_k = self.key.weight.reshape(c.heads, -1, c.token_dim)  # [H, E/H, D]
        folded = torch.einsum("hc,hcd->hd", q, w_k)  # [H, D]
        scale = (c.embed_dim // c.heads) ** -0.5
        return torch.einsum("bnd,hd->bhn", t, folded) * scale, t

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Unnormalised embedding [B, E] of tower tokens [B, N, D]."""
        c = self.config
        scores, t = self._scores(tokens)
        weights = scores.softmax(dim=-1)  # [B, H, N]
        # sum_n a_n (W_v t_n + b_v) = W_v (sum_n a_n t_n) + b_v: pool first, project after.
        pooled = torch.einsum("bhn,bnd->bhd", weights, t)  # [B, H, D]
        w_v = self.value.weight.reshape(c.heads, -1, c.token_dim)  # [H, E/H, D]
        values = torch.einsum("bhd,hcd->bhc", pooled, w_v) + self.value.bias.reshape(c.heads, -1)
        z = self.out(values.reshape(len(tokens), -1))  # [B, E]
        mlp = self.mlp(self.norm(z))  # [B, E]
        return z + mlp if c.residual else mlp

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """L2-normalised embedding [B, E]."""
        return F.normalize(self(tokens), dim=-1)

    @torch.no_grad()
    def attention_weights(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attention of the query over the tokens, per head [B, H, N] (rows sum to 1)."""
        return self._scores(tokens)[0].softmax(dim=-1)
