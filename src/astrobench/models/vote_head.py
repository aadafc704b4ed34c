"""A head that predicts Dirichlet concentrations for every answer of a Galaxy Zoo decision tree,
and the Dirichlet-multinomial loss on vote counts (the formula is in metrics/votes.py).

Concentrations are 1 + softplus(linear output): positive, smooth, and at least 1, so the
predicted Dirichlet is never U-shaped (a volunteer crowd splitting into two camps is then
expressed through the counts' spread, not through a < 1) and lgamma stays well conditioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from astrobench.data.votes.schema import VoteSchema

MIN_CONCENTRATION = 1.0


def concentrations_from_outputs(outputs: torch.Tensor) -> torch.Tensor:
    """Raw head outputs [B, A] -> concentrations [B, A] >= 1."""
    return MIN_CONCENTRATION + nn.functional.softplus(outputs.float())


def answer_membership(schema: VoteSchema) -> torch.Tensor:
    """[A, Q] one-hot float tensor: answer a belongs to question q."""
    matrix = torch.zeros(schema.n_answers, len(schema.questions))
    for q, question in enumerate(schema.questions):
        matrix[schema.slices[question.name], q] = 1.0
    return matrix


def dirichlet_multinomial_log_likelihood(
    counts: torch.Tensor, concentrations: torch.Tensor, membership: torch.Tensor
) -> torch.Tensor:
    """Per-galaxy, per-question log-likelihood [B, Q]; zero-vote questions give exactly 0."""
    k = counts.to(concentrations.dtype)  # [B, A]
    m = membership.to(concentrations)  # [A, Q]
    n_q, a_q = k @ m, concentrations @ m  # [B, Q]
    per_answer = (
        torch.lgamma(k + concentrations) - torch.lgamma(concentrations) - torch.lgamma(k + 1)
    )  # [B, A]
    return torch.lgamma(n_q + 1) + torch.lgamma(a_q) - torch.lgamma(n_q + a_q) + per_answer @ m


class DirichletMultinomialLoss:
    """Mean over galaxies of minus the log-likelihood summed over questions."""

    def __init__(self, schema: VoteSchema) -> None:
        self.schema = schema
        self.membership = answer_membership(schema)

    def __call__(self, outputs: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        concentrations = concentrations_from_outputs(outputs)  # [B, A]
        ll = dirichlet_multinomial_log_likelihood(counts, concentrations, self.membership)
        return -ll.sum(dim=1).mean()


def build_vote_head(num_features: int, schema: VoteSchema, dropout: float = 0.0) -> nn.Module:
    """A (dropout +) linear layer to one output per answer of the tree."""
    linear = nn.Linear(num_features, schema.n_answers)
    nn.init.trunc_normal_(linear.weight, std=0.02)
    nn.init.zeros_(linear.bias)
    return nn.Sequential(nn.Dropout(dropout), linear) if dropout > 0 else linear
