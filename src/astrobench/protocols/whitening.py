"""Whitening head (seed 002 §3.2.1, after Kalapos & Gyires-Tóth 2024): PCA-whitened embeddings
into a linear head.

The whitening is a fixed first layer computed from the training rows, x ↦ Λ^{-1/2} Vᵀ (x − μ),
so every retained principal direction has unit variance; directions with eigenvalue below
`whitening_eps` × the largest are dropped (they carry no signal, only amplified noise). The
linear head and its grid are those of the `linear` protocol.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from astrobench.protocols.frozen import FrozenSplit, HeadFit, frozen_protocol
from astrobench.protocols.linear import LinearSettings, fit_linear_head
from astrobench.tasks.base import Task

DEFAULT_WHITENING_EPS = 1e-5


def pca_whitening(
    x_train: np.ndarray, eps: float = DEFAULT_WHITENING_EPS
) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and whitening matrix [D, r] from one eigendecomposition of the covariance."""
    x = np.asarray(x_train, dtype=np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    covariance = centred.T @ centred / max(len(x) - 1, 1)  # [D, D]
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    keep = eigenvalues > eps * max(float(eigenvalues[-1]), 1e-30)
    matrix = eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])[None, :]  # [D, r]
    return mean, matrix


class WhiteningSettings(LinearSettings):
    """The linear head's grids, and the relative eigenvalue below which directions are dropped."""

    whitening_eps: float = Field(default=DEFAULT_WHITENING_EPS, gt=0)


@frozen_protocol("whitening", WhiteningSettings)
def fit_whitening(
    split: FrozenSplit, task: Task, settings: WhiteningSettings, seed: int
) -> HeadFit:
    """Linear head on PCA-whitened embeddings."""
    del seed
    eps = settings.whitening_eps
    mean, matrix = pca_whitening(split.x_train, eps)
    features = [
        ((x - mean) @ matrix).astype(np.float32) for x in (split.x_train, split.x_val, split.x_test)
    ]
    fit = fit_linear_head(split, features, task, settings)
    fit.hyperparameters["n_components"] = int(matrix.shape[1])
    return fit
