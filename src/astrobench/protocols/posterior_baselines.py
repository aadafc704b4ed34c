"""Two simple posteriors to set beside the flow, on the same splits (issue 13).

* Gaussian: a per-object mean from a point predictor (ridge regression on the standardised
  embeddings, alpha chosen per column on validation MSE) and one global standard deviation per
  column, the RMS of the validation residuals. Columns are independent.
* kNN: the targets of the k nearest training neighbours (cosine similarity of the embeddings,
  standardised by the training mean and standard deviation) are the posterior samples; k is
  chosen on the validation split by the mean energy score of those k values as the forecast (a
  proper scoring rule: it rewards calibration and sharpness together, and a very small k pays
  for the tails its few samples cannot show).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from astrobench.metrics.calibration import energy_score
from astrobench.protocols.knn import nearest_neighbours
from astrobench.protocols.linear import DEFAULT_ALPHA_GRID, fit_ridge_grid, standardise

DEFAULT_POSTERIOR_KS = (5, 10, 20, 50, 100, 200)


def ridge_point_predictions(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray,
    alphas: Sequence[float] = DEFAULT_ALPHA_GRID,
) -> tuple[np.ndarray, np.ndarray]:
    """Ridge predictions for validation and test rows, [n_val, T] and [n_test, T].

    Each column picks its own alpha from `alphas` by validation MSE.
    """
    xt, xv, xs = (a.astype(np.float64) for a in standardise(x_train, x_val, x_test))
    y_train = np.asarray(y_train, dtype=np.float64).reshape(len(xt), -1)
    y_val = np.asarray(y_val, dtype=np.float64).reshape(len(xv), -1)
    val_pred = np.empty_like(y_val)
    test_pred = np.empty((len(xs), y_train.shape[1]))
    for column in range(y_train.shape[1]):
        coefs, intercepts = fit_ridge_grid(xt, y_train[:, column], tuple(alphas))  # [G, D], [G]
        grid_val = xv @ coefs.T + intercepts  # [n_val, G]
        best = int(np.argmin(np.mean((grid_val - y_val[:, [column]]) ** 2, axis=0)))
        val_pred[:, column] = grid_val[:, best]
        test_pred[:, column] = xs @ coefs[best] + intercepts[best]
    return val_pred, test_pred


@dataclass(frozen=True)
class GaussianPosterior:
    """N(mean_i, diag(sigma²)) for every object."""

    mean: np.ndarray  # [n, T]
    sigma: np.ndarray  # [T]

    def log_density(self, y: np.ndarray) -> np.ndarray:
        """log q(y_i | x_i), [n]."""
        y = np.asarray(y, dtype=np.float64).reshape(self.mean.shape)
        return np.asarray(stats.norm.logpdf(y, self.mean, self.sigma).sum(axis=1))

    def sample(self, n_samples: int, seed: int) -> np.ndarray:
        """Draws [n, S, T]."""
        noise = np.random.default_rng(seed).standard_normal(
            (len(self.mean), n_samples, self.mean.shape[1])
        )
        return np.asarray(self.mean[:, None, :] + self.sigma * noise)


def fit_gaussian_posterior(
    val_pred: np.ndarray, y_val: np.ndarray, test_pred: np.ndarray
) -> GaussianPosterior:
    """Test means from the point predictor; per-column sigma = RMS of the validation residuals."""
    val_pred = np.asarray(val_pred, dtype=np.float64).reshape(len(val_pred), -1)
    residual = np.asarray(y_val, dtype=np.float64).reshape(val_pred.shape) - val_pred
    sigma = np.sqrt(np.mean(residual**2, axis=0))
    sigma = np.where(sigma > 0, sigma, np.finfo(np.float64).eps)
    test_pred = np.asarray(test_pred, dtype=np.float64).reshape(len(test_pred), -1)
    return GaussianPosterior(test_pred, sigma)


@dataclass(frozen=True)
class KnnPosterior:
    """Neighbour targets as posterior samples and the k chosen on validation."""

    samples: np.ndarray  # [n_test, k, T]
    k: int
    val_energy: dict[int, float]  # mean validation energy score (standardised targets) per k


def fit_knn_posterior(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray,
    ks: Sequence[int] = DEFAULT_POSTERIOR_KS,
) -> KnnPosterior:
    """Targets of the k nearest training objects as samples, k chosen by validation energy score."""
    y_train = np.asarray(y_train, dtype=np.float64).reshape(len(x_train), -1)
    y_val = np.asarray(y_val, dtype=np.float64).reshape(len(x_val), -1)
    usable = sorted({min(int(k), len(x_train)) for k in ks if k >= 2})
    if not usable or len(x_train) < 2:
        raise ValueError("a kNN posterior needs at least two training objects and some k >= 2")
    scale = y_train.std(axis=0) + 1e-12  # energy score on comparable columns
    x_train, x_val, x_test = standardise(x_train, x_val, x_test)
    val_idx = nearest_neighbours(x_val, x_train, usable[-1])[1].numpy()  # [n_val, k_max]
    val_energy = {
        k: float(energy_score(y_train[val_idx[:, :k]] / scale, y_val / scale, fair=False).mean())
        for k in usable
    }
    best = min(val_energy, key=lambda k: val_energy[k])
    _, test_idx = nearest_neighbours(x_test, x_train, best)
    return KnnPosterior(y_train[test_idx.numpy()], best, val_energy)
