"""Posterior metrics against independent computations: `tarp`, closed forms, brute force."""

from __future__ import annotations

import math
import sys
import types
from typing import Any

import numpy as np
import pytest
from scipy import stats

from astrobench.metrics import calibration as cal


def gaussian_posteriors(
    n: int, n_samples: int, n_columns: int, spread: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Truths from N(mu_i, sigma_i), samples from N(mu_i, spread * sigma_i): [n, S, T], [n, T]."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 2, (n, n_columns))
    sigma = rng.uniform(0.2, 1.5, (n, n_columns))
    truths = mu + sigma * rng.normal(size=(n, n_columns))
    samples = mu[:, None] + spread * sigma[:, None] * rng.normal(size=(n, n_samples, n_columns))
    return samples, truths


def gaussian_crps(mu: np.ndarray, sigma: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Closed form (Gneiting & Raftery 2007): σ [z (2Φ(z) − 1) + 2φ(z) − 1/√π]."""
    z = (y - mu) / sigma
    return sigma * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )


def import_tarp() -> Any:
    """The `tarp` package.

    Its release imports `deprecation` without declaring it; a missing `deprecation` gets a
    pass-through stand-in (it only decorates the deprecated `get_drp_coverage`).
    """
    try:
        import deprecation  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("deprecation")
        stand_in.deprecated = lambda **_: lambda fn: fn  # type: ignore[attr-defined]
        sys.modules["deprecation"] = stand_in
    return pytest.importorskip("tarp")


@pytest.mark.parametrize(("n_columns", "bins"), [(3, None), (1, 17), (5, 40)])
def test_tarp_ecp_equals_the_tarp_package(n_columns: int, bins: int | None) -> None:
    tarp = import_tarp()
    samples, truths = gaussian_posteriors(400, 80, n_columns, spread=0.7, seed=n_columns)
    samples[:, :, 0] += 0.3  # a biased column, so the curve is not the diagonal
    references = cal.tarp_references(len(truths), n_columns, seed=5)
    ecp_tarp, alpha_tarp = tarp.get_tarp_coverage(
        samples.transpose(1, 0, 2).copy(),  # tarp wants [S, n, T]
        truths.copy(),
        references=references,
        num_alpha_bins=bins,
        norm=True,
    )
    ranks = cal.tarp_ranks(samples, truths, references)
    ecp = cal.expected_coverage(ranks, alpha_tarp)
    np.testing.assert_allclose(ecp, ecp_tarp, rtol=0, atol=1e-12)
    assert np.abs(ecp - alpha_tarp).max() > 0.02  # the comparison is not trivially diagonal


def test_expected_coverage_counts_strictly_below_except_at_the_top() -> None:
    ranks = np.array([0.0, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(
        cal.expected_coverage(ranks, np.array([0.0, 0.5, 0.75, 1.0])), [0.0, 0.25, 0.75, 1.0]
    )


def test_tarp_ranks_by_hand() -> None:
    # truths span [0, 2], so normalisation halves every coordinate; references at 0
    samples = np.array([[0.0, 0.4, 1.0, 2.0], [0.0] * 4, [0.0] * 4])[:, :, None]  # [3, 4, 1]
    truths = np.array([[1.2], [0.0], [2.0]])  # normalised 0.6, 0, 1
    references = np.zeros((3, 1))
    # object 0: samples at 0, .2, .5, 1 vs truth .6 -> 3 of 4 closer; object 1: none strictly
    # closer than a truth at distance 0; object 2: all four
    np.testing.assert_allclose(cal.tarp_ranks(samples, truths, references), [0.75, 0.0, 1.0])


def test_calibrated_samples_pass_and_shrunk_or_widened_samples_fail() -> None:
    samples, truths = gaussian_posteriors(1500, 200, 3, seed=1)
    verdict = cal.calibration_verdict(samples, truths)
    assert verdict.label == cal.CALIBRATED, str(verdict)
    assert verdict.tarp.max_deviation < 0.05
    assert verdict.tarp.ks_pvalue > 0.001
    for level, band in ((0.68, 0.05), (0.95, 0.03)):
        assert np.all(np.abs(verdict.coverage[level] - level) < band)

    shrunk, _ = gaussian_posteriors(1500, 200, 3, spread=1 / 3, seed=1)
    verdict = cal.calibration_verdict(shrunk, truths)
    assert verdict.label == cal.OVER_CONFIDENT
    assert verdict.tarp.max_deviation > 0.1
    assert "68% interval covers" in str(verdict)

    widened, _ = gaussian_posteriors(1500, 200, 3, spread=3.0, seed=1)
    assert cal.calibration_verdict(widened, truths).label == cal.UNDER_CONFIDENT


def test_verdict_uses_tarp_direction_when_intervals_pass() -> None:
    samples, truths = gaussian_posteriors(1500, 200, 1, spread=0.75, seed=2)
    loose = {0.68: 0.5, 0.95: 0.5}  # coverage cannot fail: only TARP can
    verdict = cal.calibration_verdict(
        samples, truths, coverage_tolerance=loose, tarp_tolerance=0.02
    )
    assert verdict.label == cal.OVER_CONFIDENT
    assert verdict.reasons and verdict.reasons[0].startswith("TARP curve")
    wide, _ = gaussian_posteriors(1500, 200, 1, spread=1.5, seed=2)
    verdict = cal.calibration_verdict(wide, truths, coverage_tolerance=loose, tarp_tolerance=0.02)
    assert verdict.label == cal.UNDER_CONFIDENT


def test_interval_coverage_by_hand_and_for_gaussians() -> None:
    samples = np.tile(np.arange(101.0), (3, 1))[:, :, None]  # quantiles are exact: 16 and 84
    truths = np.array([[50.0], [16.0], [84.5]])
    np.testing.assert_allclose(cal.interval_coverage(samples, truths, 0.68), [2 / 3])
    gauss, truths = gaussian_posteriors(3000, 300, 2, seed=3)
    np.testing.assert_allclose(cal.interval_coverage(gauss, truths, 0.95), 0.95, atol=0.015)
    with pytest.raises(ValueError, match="level must be in"):
        cal.interval_coverage(gauss, truths, 1.0)


def test_crps_matches_brute_force_pairs_and_the_gaussian_closed_form() -> None:
    rng = np.random.default_rng(4)
    small = rng.normal(size=(5, 7))
    y = rng.normal(size=5)
    pairs = np.abs(small[:, :, None] - small[:, None, :]).sum(axis=(1, 2)) / (7 * 6)
    brute = np.abs(small - y[:, None]).mean(axis=1) - 0.5 * pairs
    np.testing.assert_allclose(cal.crps_from_samples(small, y), brute, rtol=1e-12)

    mu, sigma = rng.normal(size=300), rng.uniform(0.1, 2.0, 300)
    y = mu + sigma * rng.normal(size=300)
    draws = mu[:, None] + sigma[:, None] * rng.normal(size=(300, 4000))
    exact = gaussian_crps(mu, sigma, y)
    np.testing.assert_allclose(cal.crps_from_samples(draws, y).mean(), exact.mean(), rtol=0.01)
    np.testing.assert_allclose(cal.crps_from_samples(draws, y), exact, rtol=0.1, atol=0.01)


def test_pit_is_uniform_for_calibrated_samples_and_u_shaped_for_shrunk() -> None:
    samples, truths = gaussian_posteriors(4000, 200, 1, seed=5)
    density, edges = cal.pit_histogram(cal.pit_values(samples, truths), bins=10)
    np.testing.assert_allclose(edges, np.linspace(0, 1, 11))
    np.testing.assert_allclose(density, 1.0, atol=0.15)
    shrunk, _ = gaussian_posteriors(4000, 200, 1, spread=1 / 3, seed=5)
    density, _ = cal.pit_histogram(cal.pit_values(shrunk, truths), bins=10)
    assert density[0] > 2 and density[-1] > 2 and density[4] < 0.5


def test_pit_counts_ties_as_half() -> None:
    samples = np.array([[1.0, 2.0, 2.0, 3.0]])
    np.testing.assert_allclose(cal.pit_values(samples, np.array([2.0])), [0.5])
    with pytest.raises(ValueError, match="one target column"):
        cal.pit_values(np.zeros((2, 4, 2)), np.zeros((2, 2)))


def test_nll_of_a_mixture_and_its_spread() -> None:
    rng = np.random.default_rng(6)
    y = rng.normal(size=50)
    members = np.stack([stats.norm.logpdf(y, loc=m, scale=1.0) for m in (-0.5, 0.0, 0.5)])
    direct = np.log(np.mean(np.exp(members), axis=0))
    np.testing.assert_allclose(cal.mixture_log_density(members), direct, rtol=1e-12)
    assert cal.negative_log_likelihood(members[1]) == pytest.approx(-members[1].mean())
    spread = cal.nll_spread(members)
    per_member = -members.mean(axis=1)
    assert spread["nll_mean"] == pytest.approx(per_member.mean())
    assert spread["nll_std"] == pytest.approx(per_member.std(ddof=1))
    assert cal.nll_spread(members.reshape(3, 1, 50))["n_runs"] == 3
    with pytest.raises(ValueError, match="empty"):
        cal.negative_log_likelihood(np.array([]))


def test_posterior_metrics_one_and_several_columns() -> None:
    samples, truths = gaussian_posteriors(600, 100, 1, seed=7)
    metrics = cal.posterior_metrics(samples, truths[:, 0], ("redshift",), log_density=-np.ones(600))
    assert metrics["nll"] == 1.0
    assert metrics["coverage68"] == pytest.approx(cal.interval_coverage(samples, truths, 0.68)[0])
    assert metrics["crps"] == pytest.approx(cal.crps_from_samples(samples, truths).mean())
    assert metrics["tarp_area"] == cal.tarp_coverage(samples, truths).area
    samples, truths = gaussian_posteriors(600, 100, 3, seed=7)
    metrics = cal.posterior_metrics(samples, truths, ("a", "b", "c"))
    assert "crps" not in metrics and "nll" not in metrics
    assert {"a/coverage95", "b/coverage95", "c/coverage95"} <= metrics.keys()
    per_column = cal.interval_coverage(samples, truths, 0.95)
    assert metrics["b/coverage95"] == pytest.approx(per_column[1])
    assert metrics["coverage95"] == pytest.approx(per_column.mean())
    with pytest.raises(ValueError, match="column names"):
        cal.posterior_metrics(samples, truths, ("a",))
    with pytest.raises(ValueError, match="do not match"):
        cal.tarp_ranks(samples[:, :, :2], truths)


def test_energy_score_is_crps_for_one_column_and_prefers_the_true_spread() -> None:
    samples, truths = gaussian_posteriors(200, 50, 1, seed=8)
    np.testing.assert_allclose(
        cal.energy_score(samples, truths), cal.crps_from_samples(samples, truths), rtol=1e-10
    )
    samples, truths = gaussian_posteriors(400, 100, 3, seed=9)
    shrunk, _ = gaussian_posteriors(400, 100, 3, spread=1 / 3, seed=9)
    widened, _ = gaussian_posteriors(400, 100, 3, spread=3, seed=9)
    true_score = cal.energy_score(samples, truths).mean()
    few = samples[:5, :4]
    pairs = np.linalg.norm(few[:, :, None] - few[:, None], axis=3).sum(axis=(1, 2))  # [5]
    to_truth = np.linalg.norm(few - truths[:5, None], axis=2).mean(axis=1)
    np.testing.assert_allclose(
        cal.energy_score(few, truths[:5], fair=False), to_truth - 0.5 * pairs / 16, rtol=1e-12
    )
    assert true_score < cal.energy_score(shrunk, truths).mean()
    assert true_score < cal.energy_score(widened, truths).mean()


def test_verdict_tolerances_widen_on_small_test_sets() -> None:
    samples, truths = gaussian_posteriors(60, 200, 1, seed=10)
    verdict = cal.calibration_verdict(samples, truths)
    assert verdict.label == cal.CALIBRATED, str(verdict)  # 60 objects: ±5 % would be noise
    shrunk, _ = gaussian_posteriors(60, 200, 1, spread=1 / 3, seed=10)
    assert cal.calibration_verdict(shrunk, truths).label == cal.OVER_CONFIDENT


def test_verdict_names_the_failing_column() -> None:
    samples, truths = gaussian_posteriors(1000, 100, 2, seed=11)
    samples[:, :, 1] = samples[:, :, 1] * 0.3 + 0.7 * truths[:, None, 1].mean()
    verdict = cal.calibration_verdict(samples, truths, columns=("redshift", "log_mstar"))
    assert verdict.label == cal.OVER_CONFIDENT
    assert verdict.reasons[0].startswith("log_mstar: 68% interval covers")
    assert not any(r.startswith("redshift") for r in verdict.reasons)
