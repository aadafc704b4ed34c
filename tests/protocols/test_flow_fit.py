"""Flow ensemble: seeded members, densities in target units, calibration of a known posterior."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.errors import DataError, InsufficientDataError
from astrobench.metrics import calibration as cal
from astrobench.models.conditional_flow import draw_architectures
from astrobench.protocols.flow_fit import FlowSettings, fit_flow_ensemble

from .posterior_problem import known_gaussian_problem

TINY = FlowSettings(members=2, max_epochs=2, width_min=8, width_max=12, depths=(1, 2))


def fit_known(n_train: int, n_columns: int, settings: FlowSettings, seed: int = 0):
    data = known_gaussian_problem(n_train + 1500, n_columns, seed=seed)
    x, y = data["x"], data["y"]
    val = n_train + 500
    ensemble = fit_flow_ensemble(
        x[:n_train], y[:n_train], x[n_train:val], y[n_train:val], settings, seed
    )
    test = slice(val, None)
    return ensemble, x[test], y[test], data


def test_architectures_follow_the_paper_ranges_and_the_seed() -> None:
    drawn = draw_architectures(200, seed=3)
    assert {a.transforms for a in drawn} == {3, 4, 5, 6}
    widths = [a.hidden for a in drawn]
    assert min(widths) >= 32 and max(widths) <= 128 and len(set(widths)) > 40
    assert draw_architectures(5, seed=3) == drawn[:5]
    assert draw_architectures(5, seed=4) != drawn[:5]


def test_flow_posterior_is_calibrated_and_shrunk_samples_are_not() -> None:
    """Issue 13 acceptance on y | x ~ N(f(x), sigma(x)): TARP within 0.05, 68 ± 5 %, 95 ± 3 %."""
    settings = FlowSettings(members=3, width_min=32, width_max=48, depths=(2, 3), patience=6)
    ensemble, x_test, y_test, _ = fit_known(3000, 1, settings)
    samples = ensemble.sample(x_test, 200, seed=0)  # [1000, 200, 1]
    verdict = cal.calibration_verdict(samples, y_test)
    assert verdict.label == cal.CALIBRATED, str(verdict)
    assert verdict.tarp.max_deviation <= 0.05
    assert abs(verdict.coverage[0.68][0] - 0.68) <= 0.05
    assert abs(verdict.coverage[0.95][0] - 0.95) <= 0.03
    median = np.median(samples, axis=1, keepdims=True)
    shrunk = median + (samples - median) / 3
    assert cal.calibration_verdict(shrunk, y_test).label == cal.OVER_CONFIDENT


def test_flow_density_is_normalised_in_target_units_and_close_to_the_truth() -> None:
    settings = FlowSettings(members=2, width_min=32, width_max=32, depths=(2,), patience=4)
    ensemble, x_test, _, data = fit_known(2000, 1, settings, seed=1)
    x_few = x_test[:5]
    grid = np.linspace(-0.5, 2.0, 2001)  # target units; sigma >= 0.05, mean in [0.5, 1.1]
    log_q = ensemble.member_log_density(
        np.repeat(x_few, len(grid), 0), np.tile(grid, 5)
    )  # [M, 5 * G]
    density = np.exp(cal.mixture_log_density(log_q)).reshape(5, len(grid))
    np.testing.assert_allclose(np.trapezoid(density, grid, axis=1), 1.0, atol=0.02)
    true_mean = data["mean"][-1500 + 500 :][:5, 0]
    np.testing.assert_allclose((density * grid).sum(1) / density.sum(1), true_mean, atol=0.05)


def test_same_seed_same_samples_and_shares_over_members() -> None:
    data = known_gaussian_problem(300, 2, seed=2)
    x, y = data["x"], data["y"]
    fits = [
        fit_flow_ensemble(x[:200], y[:200], x[200:250], y[200:250], TINY, seed=s) for s in (0, 0, 1)
    ]
    draws = [f.sample(x[250:], 7, seed=5) for f in fits]
    assert draws[0].shape == (50, 7, 2)
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.allclose(draws[0], draws[2])
    assert not np.allclose(draws[0], fits[0].sample(x[250:], 7, seed=6))
    assert [r.epochs_run for r in fits[0].reports] == [2, 2]
    densities = fits[0].member_log_density(x[250:], y[250:])
    assert densities.shape == (2, 50) and np.isfinite(densities).all()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.nan, r"target column 'log_mstar' has 1 NaN/inf values among 250"),
        (-99.0, r"'log_mstar' has 1 sentinel \(-99: 1\) values"),
        (9999.0, r"'log_mstar' has 1 sentinel \(9999: 1\)"),
    ],
)
def test_invalid_target_values_name_the_column_and_count(bad: float, message: str) -> None:
    data = known_gaussian_problem(260, 2, seed=3)
    y = data["y"].copy()
    y[7, 1] = bad
    with pytest.raises(DataError, match=message):
        fit_flow_ensemble(
            data["x"][:200],
            y[:200],
            data["x"][200:250],
            y[200:250],
            TINY,
            0,
            ["redshift", "log_mstar"],
        )


def test_constant_column_and_too_few_objects_are_refused() -> None:
    data = known_gaussian_problem(260, 2, seed=4)
    x, y = data["x"], data["y"].copy()
    y[:, 0] = 0.5
    with pytest.raises(DataError, match=r"target column 'z' is constant \(0.5\) over 200"):
        fit_flow_ensemble(x[:200], y[:200], x[200:250], y[200:250], TINY, 0, ["z", "m"])
    with pytest.raises(
        InsufficientDataError, match="needs at least 20 labelled train objects, got 19"
    ):
        fit_flow_ensemble(x[:19], data["y"][:19], x[200:250], data["y"][200:250], TINY, 0)
    with pytest.raises(InsufficientDataError, match="at least 5 labelled val objects, got 4"):
        fit_flow_ensemble(x[:200], data["y"][:200], x[200:204], data["y"][200:204], TINY, 0)


@pytest.mark.slow
def test_two_column_flow_ensemble_is_calibrated() -> None:
    """The acceptance with two correlated-in-x columns and the default ensemble of five."""
    settings = FlowSettings(members=5)
    ensemble, x_test, y_test, _ = fit_known(6000, 2, settings, seed=5)
    samples = ensemble.sample(x_test, 200, seed=0)
    verdict = cal.calibration_verdict(samples, y_test)
    assert verdict.label == cal.CALIBRATED, str(verdict)
    median = np.median(samples, axis=1, keepdims=True)
    assert (
        cal.calibration_verdict(median + (samples - median) / 3, y_test).label == cal.OVER_CONFIDENT
    )


def test_each_member_keeps_its_best_validation_epoch() -> None:
    data = known_gaussian_problem(260, 1, seed=6)
    x, y = data["x"], data["y"]
    settings = FlowSettings(members=1, width_min=64, width_max=64, depths=(3,), patience=3, lr=1e-2)
    ensemble = fit_flow_ensemble(x[:30], y[:30], x[200:260], y[200:260], settings, seed=0)
    report = ensemble.reports[0]
    assert report.epochs_run == report.best_epoch + 3  # stopped by patience, after overfitting
    val_log_density = ensemble.member_log_density(x[200:260], y[200:260])[0]
    standardised_nll = -val_log_density.mean() - np.log(ensemble.y_std).sum()
    assert standardised_nll == pytest.approx(report.val_nll, abs=1e-5)
