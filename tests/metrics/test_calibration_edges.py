"""Posterior metrics at their edges: float32 inputs, seeds, boundaries, messages, verdict text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from astrobench.metrics import calibration as cal


def _gaussians(n: int, s: int, t: int, spread: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    mu, sigma = rng.normal(0, 2, (n, t)), rng.uniform(0.2, 1.5, (n, t))
    truths = mu + sigma * rng.normal(size=(n, t))
    return mu[:, None] + spread * sigma[:, None] * rng.normal(size=(n, s, t)), truths


def test_float32_log_densities_are_averaged_in_float64() -> None:
    rng = np.random.default_rng(0)
    members = (-1000.0 + rng.normal(size=(3, 200))).astype(np.float32)  # float32 sums lose ~1e-4
    exact = members.astype(np.float64)
    direct = logsumexp(exact, axis=0) - np.log(3)
    np.testing.assert_allclose(cal.mixture_log_density(members), direct, rtol=1e-14)
    assert cal.negative_log_likelihood(members[0]) == pytest.approx(-exact[0].mean(), rel=1e-14)
    spread = cal.nll_spread(members)
    assert spread["nll_mean"] == pytest.approx(-exact.mean(axis=1).mean(), rel=1e-14)
    assert spread["nll_std"] == pytest.approx(exact.mean(axis=1).std(ddof=1), rel=1e-9)
    with pytest.raises(ValueError, match=r"^cannot score an empty set of log-densities$"):
        cal.negative_log_likelihood(np.array([]))


def test_nll_spread_of_one_and_of_two_runs() -> None:
    one = cal.nll_spread(np.array([[-1.0, -3.0]]))
    assert one == {"nll_mean": 2.0, "nll_std": 0.0, "n_runs": 1.0}
    two = cal.nll_spread(np.array([[-1.0, -3.0], [-2.0, -4.0]]))  # per run 2 and 3
    assert two["nll_std"] == pytest.approx(np.std([2.0, 3.0], ddof=1))


def test_tarp_seeds_and_references_are_the_ones_asked_for() -> None:
    samples, truths = _gaussians(60, 30, 2, seed=1)
    np.testing.assert_array_equal(
        cal.tarp_references(5, 2), np.random.default_rng(0).uniform(size=(5, 2))
    )
    seeded = np.random.default_rng(3).uniform(size=(60, 2))
    by_seed = cal.tarp_ranks(samples, truths, seed=3)
    np.testing.assert_array_equal(by_seed, cal.tarp_ranks(samples, truths, seeded))
    default = cal.tarp_ranks(samples, truths, np.random.default_rng(0).uniform(size=(60, 2)))
    np.testing.assert_array_equal(cal.tarp_ranks(samples, truths), default)
    assert not np.array_equal(by_seed, default)
    np.testing.assert_array_equal(cal.tarp_coverage(samples, truths, seed=3).ranks, by_seed)
    np.testing.assert_array_equal(cal.tarp_coverage(samples, truths, seeded).ranks, by_seed)
    np.testing.assert_array_equal(cal.calibration_verdict(samples, truths).tarp.ranks, default)
    verdict = cal.calibration_verdict(samples, truths, seed=3)
    np.testing.assert_array_equal(verdict.tarp.ranks, by_seed)
    metrics = cal.posterior_metrics(samples, truths, ("a", "b"), seed=3)
    assert metrics["tarp_area"] == cal.tarp_coverage(samples, truths, seeded).area
    with pytest.raises(ValueError, match=re.escape("references (4, 2) must match truths (60, 2)")):
        cal.tarp_ranks(samples, truths, np.zeros((4, 2)))


def test_tarp_ranks_of_a_constant_column_follow_the_tarp_scaling() -> None:
    """A zero-width column divides by +1e-10 (the `tarp` package's guard), never by -1e-10."""
    truths = np.array([[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]])
    offsets = np.array([-1e-11, 2e-11, 5e-11, -3e-11])  # samples of column 1 around 2.0
    samples = np.stack([np.stack([t[0] + offsets * 1e9, t[1] + offsets], axis=1) for t in truths])
    refs = np.array([[0.1, 0.9], [0.5, 0.2], [0.9, 0.6]])
    scale = np.array([2.0, 0.0]) + 1e-10
    low = truths.min(axis=0)
    s, t = (samples - low) / scale, (truths - low) / scale
    d_s = np.linalg.norm(refs[:, None] - s, axis=2)
    d_t = np.linalg.norm(refs - t, axis=1)
    expected = (d_s < d_t[:, None]).mean(axis=1)
    np.testing.assert_allclose(cal.tarp_ranks(samples, truths, refs), expected)
    assert len(set(expected.tolist())) > 1


def test_tarp_result_fields_by_independent_computation() -> None:
    samples, truths = _gaussians(80, 40, 2, spread=0.6, seed=2)
    result = cal.tarp_coverage(samples, truths)
    np.testing.assert_array_equal(result.alpha, np.linspace(0, 1, 101))
    ranks = cal.tarp_ranks(samples, truths)
    ecp = np.array([np.mean(ranks < a) for a in result.alpha[:-1]] + [np.mean(ranks <= 1.0)])
    np.testing.assert_allclose(result.ecp, ecp)
    assert result.area == pytest.approx(np.mean(np.abs(ecp - result.alpha)))
    assert result.ks_statistic == pytest.approx(stats.kstest(ranks, "uniform").statistic)


def test_interval_bounds_are_inside_and_level_zero_is_refused() -> None:
    samples = np.tile(np.arange(9.0), (2, 1))  # quantiles 0.25 / 0.75 are exactly 2 and 6
    np.testing.assert_allclose(cal.interval_coverage(samples, np.array([2.0, 6.0]), 0.5), [1.0])
    np.testing.assert_allclose(cal.interval_coverage(samples, np.array([1.9, 6.1]), 0.5), [0.0])
    with pytest.raises(ValueError, match=re.escape("level must be in (0, 1), got 0.0")):
        cal.interval_coverage(samples, np.array([1.0, 9.0]), 0.0)


def test_pit_ties_count_per_object_and_histogram_is_on_the_unit_interval() -> None:
    samples = np.array([[1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(cal.pit_values(samples, np.array([2.0, 2.5])), [0.5, 0.5])
    density, edges = cal.pit_histogram(np.array([0.42, 0.44, 0.46]))
    np.testing.assert_allclose(edges, np.linspace(0, 1, 11))
    np.testing.assert_allclose(density, [0, 0, 0, 0, 10, 0, 0, 0, 0, 0])
    density, edges = cal.pit_histogram(np.array([0.1, 0.6]), bins=4)
    np.testing.assert_allclose(density, [2, 0, 2, 0])


def test_sample_scores_need_two_samples_and_take_exactly_two() -> None:
    one = np.zeros((3, 1, 1))
    with pytest.raises(ValueError, match=r"^CRPS from samples needs at least two samples per obj"):
        cal.crps_from_samples(one, np.zeros(3))
    with pytest.raises(ValueError, match=r"^the energy score from samples needs at least two sam"):
        cal.energy_score(one, np.zeros((3, 1)))
    samples = np.array([[[0.0, 0.0], [3.0, 4.0]]])  # two samples 5 apart, truth at the origin
    np.testing.assert_allclose(cal.energy_score(samples, np.zeros((1, 2))), [2.5 - 2.5])
    np.testing.assert_allclose(cal.energy_score(samples, np.zeros((1, 2)), fair=False), [1.25])


def test_verdict_text_and_tolerances_on_a_small_test_set() -> None:
    samples, truths = _gaussians(20, 200, 1, spread=0.02, seed=4)  # far too narrow
    verdict = cal.calibration_verdict(samples, truths)
    assert verdict.label == cal.OVER_CONFIDENT
    c68, c95 = (float(cal.interval_coverage(samples, truths, c)[0]) for c in (0.68, 0.95))
    assert verdict.reasons[:2] == (
        f"column 0: 68% interval covers {c68:.1%} (±31.3%)",  # 3 √(0.68 · 0.32 / 20)
        f"column 0: 95% interval covers {c95:.1%} (±14.6%)",  # 3 √(0.95 · 0.05 / 20)
    )
    assert verdict.reasons[2].endswith("from the diagonal (>0.364)")  # 1.63 / √20
    assert str(verdict) == "over-confident: " + "; ".join(verdict.reasons)
    np.testing.assert_allclose(verdict.coverage[0.68], [c68])
    good = cal.calibration_verdict(*_gaussians(400, 200, 1, seed=5))
    assert (good.label, good.reasons, str(good)) == (cal.CALIBRATED, (), "calibrated")


def test_checks_exactly_at_their_allowance_pass() -> None:
    samples, truths = _gaussians(400, 200, 1, spread=1.6, seed=6)  # too wide
    miss = abs(float(cal.interval_coverage(samples, truths, 0.68)[0]) - 0.68)
    tarp = cal.tarp_coverage(samples, truths)
    assert miss > 3 * np.sqrt(0.68 * 0.32 / 400) and tarp.max_deviation > 1.63 / 20
    verdict = cal.calibration_verdict(samples, truths, {0.68: miss}, tarp.max_deviation)
    assert verdict.label == cal.CALIBRATED


def test_coverage_failures_add_up_per_direction_and_need_a_name_per_column() -> None:
    coverage = {0.68: np.array([0.58, 0.80]), 0.95: np.array([0.85, 0.95])}
    reasons, excess = cal._coverage_failures(coverage, {0.68: 0.05, 0.95: 0.03}, ("a", "b"))
    assert len(reasons) == 3
    assert excess[cal.OVER_CONFIDENT] == pytest.approx(0.05 + 0.07)
    assert excess[cal.UNDER_CONFIDENT] == pytest.approx(0.07)
    samples, truths = _gaussians(30, 20, 2, seed=7)
    with pytest.raises(ValueError, match="zip"):
        cal.calibration_verdict(samples, truths, columns=("only one",))


def test_per_column_keys_only_for_several_columns_and_the_pit_pvalue() -> None:
    samples, truths = _gaussians(50, 40, 1, seed=8)
    one = cal.posterior_metrics(samples, truths, ("z",))
    assert not any("/" in key for key in one)
    pit = cal.pit_values(samples, truths)
    assert one["pit_ks_pvalue"] == pytest.approx(stats.kstest(pit, "uniform").pvalue)
    samples, truths = _gaussians(50, 40, 2, seed=8)
    two = cal.posterior_metrics(samples, truths, ("z", "mass"))
    assert two["mass/coverage68"] == pytest.approx(cal.interval_coverage(samples, truths, 0.68)[1])


def test_tarp_direction_at_exactly_the_uniform_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranks 0.25 and 0.75 (mean |f − ½| = ¼, the uniform value): not called over-confident."""
    truths = np.linspace(0.0, 1.0, 100)  # normalised scale ≈ identity; none at the reference
    monkeypatch.setattr(cal, "tarp_references", lambda n, t, seed=0: np.full((n, t), 0.5))
    near, far = 0.5, 5.0  # distance 0 and 4.5 from the reference: closer / farther than truth
    samples = np.array(
        [[near, far, far, far] if i % 2 else [near, near, near, far] for i in range(100)]
    )
    ranks = cal.tarp_ranks(samples, truths)
    assert np.mean(np.abs(ranks - 0.5)) == 0.25 and set(ranks.tolist()) == {0.25, 0.75}
    verdict = cal.calibration_verdict(samples, truths, {0.68: 1.0})
    assert verdict.reasons[0].startswith("TARP curve 0.250 from the diagonal")
    assert verdict.label == cal.UNDER_CONFIDENT


def test_float32_posteriors_are_scored_in_float64() -> None:
    samples, truths = _gaussians(40, 30, 2, seed=9)
    samples32 = (100.0 + samples).astype(np.float32)
    exact = samples32.astype(np.float64)
    np.testing.assert_allclose(
        cal.energy_score(samples32, 100.0 + truths),
        cal.energy_score(exact, 100.0 + truths),
        rtol=1e-13,
    )
    truths32 = truths.astype(np.float32)
    with_truth = np.concatenate([samples, truths32.astype(np.float64)[:, None]], axis=1)
    # a sample equal to the truth is not closer than it: both must be normalised alike
    np.testing.assert_array_equal(
        cal.tarp_ranks(with_truth, truths32),
        cal.tarp_ranks(with_truth, truths32.astype(np.float64)),
    )


def test_posterior_shapes_are_checked_with_clear_messages() -> None:
    with pytest.raises(ValueError, match=re.escape("got (2, 3, 1), (2, 1, 1)")):
        cal.interval_coverage(np.zeros((2, 3, 1)), np.zeros((2, 1, 1)), 0.5)
    for n, s in ((0, 5), (3, 0)):
        with pytest.raises(ValueError, match=r"^need at least one object and one sample$"):
            cal.interval_coverage(np.zeros((n, s, 1)), np.zeros((n, 1)), 0.5)
    np.testing.assert_allclose(
        cal.pit_values(np.array([[1.0], [3.0]]), np.array([2.0, 2.0])), [1, 0]
    )
