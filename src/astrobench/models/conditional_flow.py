"""One conditional normalizing flow q(y | x): a context MLP and a zuko neural spline flow.

Seed 003 (AstroCLIP, Appendix B6) conditions a stack of spline transformations on the embedding
with a fully connected MLP and draws, for each of its 10 flows, the number of transformations
from U{3, 4, 5, 6} and the hidden width from U[32, 128]. Here the context MLP maps the
(standardised) embedding to `hidden` features once per object, and every transformation of a
zuko `NSF` (monotonic rational-quadratic splines, autoregressive over the target columns; an
element-wise spline for one column) reads those features through its own MLP of two hidden
layers of the same width. Targets should be standardised: the splines act on [-5, 5].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import zuko

DEPTH_CHOICES = (3, 4, 5, 6)
WIDTH_RANGE = (32, 128)
SPLINE_BINS = 8


@dataclass(frozen=True)
class FlowArchitecture:
    """Depth and width of one ensemble member."""

    transforms: int
    hidden: int

    def describe(self) -> dict[str, int]:
        """JSON-ready description."""
        return {"transforms": self.transforms, "hidden": self.hidden}


def draw_architectures(
    n_members: int,
    seed: int,
    depths: tuple[int, ...] = DEPTH_CHOICES,
    width_range: tuple[int, int] = WIDTH_RANGE,
) -> list[FlowArchitecture]:
    """Depth ~ U(depths) and width ~ U{width_range} (inclusive) for each member, seeded."""
    rng = np.random.default_rng([seed, 13])
    low, high = width_range
    return [
        FlowArchitecture(int(rng.choice(depths)), int(rng.integers(low, high + 1)))
        for _ in range(n_members)
    ]


class ConditionalFlow(torch.nn.Module):
    """q(y | x) for y of `n_targets` columns given a context x of `n_context` features."""

    def __init__(self, n_targets: int, n_context: int, architecture: FlowArchitecture) -> None:
        super().__init__()
        hidden = architecture.hidden
        self.architecture = architecture
        self.context_net = torch.nn.Sequential(
            torch.nn.Linear(n_context, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden),
        )
        self.flow = zuko.flows.NSF(
            n_targets,
            hidden,
            bins=SPLINE_BINS,
            transforms=architecture.transforms,
            hidden_features=(hidden, hidden),
        )

    def log_prob(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log q(y | x) of each row: y [B, T], x [B, D] -> [B]."""
        return self.flow(self.context_net(x)).log_prob(y)

    def sample(self, x: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Draws from q(· | x): x [B, D] -> [B, n_samples, T] (uses torch's global generator)."""
        draws = self.flow(self.context_net(x)).sample((n_samples,))  # [S, B, T]
        return draws.transpose(0, 1)


def build_flow(
    n_targets: int, n_context: int, architecture: FlowArchitecture, seed: int
) -> ConditionalFlow:
    """A freshly initialised member; the same seed gives the same weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ConditionalFlow(n_targets, n_context, architecture)
