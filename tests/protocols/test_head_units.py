"""The head-fitting functions of the frozen protocols on tiny arrays, checked by value.

Fast (milliseconds each), so mutation testing reaches knn.py, linear.py and mlp.py without
running whole protocols; values come from scikit-learn or from direct NumPy computations.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from astrobench.protocols.linear import fit_ridge_grid


def test_ridge_of_several_columns_matches_scikit_learn_in_double_precision() -> None:
    """float32 features far from zero with a small spread (eigenvalues of XᵀX below 1) and
    float32 targets with a large offset: only a float64 solve that keeps every eigenvalue
    matches scikit-learn to 1e-6."""
    rng = np.random.default_rng(0)
    x = (100.0 + 0.01 * rng.normal(size=(40, 3))).astype(np.float32)  # [n, D]
    y = (1000.0 + rng.normal(size=(40, 2)) + 50.0 * (x[:, :2] - 100.0)).astype(np.float32)
    alphas = (1e-4, 0.5)
    coefs, intercepts = fit_ridge_grid(x, y, alphas)  # [G, D, T], [G, T]
    assert coefs.shape == (2, 3, 2) and intercepts.shape == (2, 2)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    for g, alpha in enumerate(alphas):
        reference = Ridge(alpha=alpha, solver="svd").fit(x64, y64)
        np.testing.assert_allclose(coefs[g], reference.coef_.T, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(intercepts[g], reference.intercept_, rtol=1e-9)
    one, one_intercept = fit_ridge_grid(x, y[:, 1], alphas)  # [n] targets: [G, D], [G]
    np.testing.assert_allclose(one, coefs[..., 1], rtol=1e-12)
    np.testing.assert_allclose(one_intercept, intercepts[:, 1], rtol=1e-12)
