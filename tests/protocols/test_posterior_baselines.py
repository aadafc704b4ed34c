"""Gaussian and kNN posterior baselines against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from astrobench.metrics import calibration as cal
from astrobench.protocols.linear import standardise
from astrobench.protocols.posterior_baselines import (
    fit_gaussian_posterior,
    fit_knn_posterior,
    ridge_point_predictions,
)


def linear_problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x [n, 8]; column 0 = x·w + N(0, 0.3²), column 1 = N(0, 1) noise only."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    y = np.stack([x @ rng.normal(size=8) + 0.3 * rng.normal(size=n), rng.normal(size=n)], 1)
    return x.astype(np.float32), y


def test_ridge_predictions_match_scikit_learn_at_the_chosen_alpha() -> None:
    x, y = linear_problem(600)
    alphas = (0.1, 1e4)
    val_pred, test_pred = ridge_point_predictions(
        x[:400], y[:400], x[400:500], y[400:500], x[500:], alphas
    )
    xt, xs = standardise(x[:400], x[500:])
    # column 0 has signal (small alpha wins), column 1 is noise (large alpha wins)
    for column, alpha in ((0, 0.1), (1, 1e4)):
        reference = Ridge(alpha=alpha).fit(xt.astype(np.float64), y[:400, column])
        np.testing.assert_allclose(
            test_pred[:, column], reference.predict(xs.astype(np.float64)), atol=1e-8
        )
    assert val_pred.shape == (100, 2)


def test_gaussian_posterior_is_calibrated_on_homoscedastic_noise() -> None:
    x, y = linear_problem(5000, seed=1)
    y = y[:, :1]
    val_pred, test_pred = ridge_point_predictions(
        x[:2000], y[:2000], x[2000:3000], y[2000:3000], x[3000:]
    )
    posterior = fit_gaussian_posterior(val_pred, y[2000:3000], test_pred)
    assert posterior.sigma[0] == pytest.approx(0.3, rel=0.1)
    samples = posterior.sample(200, seed=0)
    assert cal.calibration_verdict(samples, y[3000:]).label == cal.CALIBRATED
    expected_nll = 0.5 * np.log(2 * np.pi * 0.3**2) + 0.5
    assert cal.negative_log_likelihood(posterior.log_density(y[3000:])) == pytest.approx(
        expected_nll, abs=0.1
    )
    again = fit_gaussian_posterior(val_pred, y[2000:3000], test_pred).sample(200, seed=0)
    np.testing.assert_array_equal(again, samples)  # seeded


def test_gaussian_sigma_is_the_rms_of_validation_residuals() -> None:
    posterior = fit_gaussian_posterior(
        np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([[3.0, 1.0], [-1.0, 1.0]]), np.zeros((3, 2))
    )
    assert posterior.sigma[0] == pytest.approx(np.sqrt(5.0))
    assert posterior.sigma[1] > 0  # a perfect column still has a density
    assert posterior.log_density(np.zeros((3, 2))).shape == (3,)


def test_knn_samples_are_the_targets_of_the_nearest_neighbours() -> None:
    x, y = linear_problem(400, seed=2)
    result = fit_knn_posterior(x[:300], y[:300], x[300:350], y[300:350], x[350:], ks=(3, 10, 30))
    x = (x - x[:300].mean(0)) / x[:300].std(0)  # cosine on standardised embeddings
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    nearest = np.argsort(-(unit[350:] @ unit[:300].T), axis=1)[:, : result.k]  # brute force
    np.testing.assert_array_equal(
        np.sort(result.samples, axis=1), np.sort(y[:300][nearest], axis=1)
    )
    assert result.k == min(result.val_energy, key=lambda k: result.val_energy[k])
    assert set(result.val_energy) == {3, 10, 30}


def test_knn_grid_is_clipped_to_the_training_set() -> None:
    x, y = linear_problem(60, seed=3)
    result = fit_knn_posterior(x[:20], y[:20], x[20:40], y[20:40], x[40:], ks=(5, 200))
    assert set(result.val_energy) == {5, 20}
    with pytest.raises(ValueError, match="at least two training objects"):
        fit_knn_posterior(x[:1], y[:1], x[20:40], y[20:40], x[40:])
