"""A regression problem whose conditional posterior is known: y | x ~ N(f(x), sigma(x)).

The embedding x is a random linear image of a 2-d latent u (plus a little noise, so it has the
dimension of a small encoder's output); the target has one or two columns with a mean and a
standard deviation that depend non-linearly on u.
"""

from __future__ import annotations

import numpy as np


def known_gaussian_problem(
    n: int, n_columns: int = 1, dim: int = 16, seed: int = 0
) -> dict[str, np.ndarray]:
    """x [n, dim] float32, y [n, T], and the true mean [n, T] and sigma [n, T] of y given x."""
    rng = np.random.default_rng(seed)
    latent = rng.uniform(-1.5, 1.5, (n, 2))  # [n, 2]
    basis = rng.normal(size=(2, dim))
    x = latent @ basis + rng.normal(0, 0.01, (n, dim))
    mean = np.stack([0.8 + 0.3 * np.sin(2 * latent[:, 0]), 10 + latent[:, 1] ** 2], axis=1)
    sigma = np.stack([0.05 + 0.04 * (latent[:, 1] + 1.5), 0.3 + 0.2 * np.abs(latent[:, 0])], 1)
    mean, sigma = mean[:, :n_columns], sigma[:, :n_columns]
    y = mean + sigma * rng.normal(size=mean.shape)
    return {"x": x.astype(np.float32), "y": y, "mean": mean, "sigma": sigma}
