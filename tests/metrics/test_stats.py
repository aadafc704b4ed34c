"""Bootstrap intervals and spread over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.metrics import classification, regression
from astrobench.metrics.stats import bootstrap_interval, summarise_seeds


def test_bootstrap_interval_of_the_mean_matches_the_normal_approximation() -> None:
    rng = np.random.default_rng(0)
    y_true = np.zeros(2000)
    y_pred = rng.normal(0, 1, 2000)
    low, high = bootstrap_interval(regression.mean_residual, y_true, y_pred, n_boot=2000)
    half_width = 1.96 * y_pred.std() / np.sqrt(y_pred.size)
    assert low == pytest.approx(y_pred.mean() - half_width, abs=0.01)
    assert high == pytest.approx(y_pred.mean() + half_width, abs=0.01)


def test_bootstrap_interval_is_reproducible_and_contains_the_estimate() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, 0)
    first = bootstrap_interval(classification.accuracy, y_true, y_pred, n_boot=300, seed=5)
    again = bootstrap_interval(classification.accuracy, y_true, y_pred, n_boot=300, seed=5)
    assert first == again
    assert first[0] < classification.accuracy(y_true, y_pred) < first[1]
    narrower = bootstrap_interval(classification.accuracy, y_true, y_pred, 300, level=0.5, seed=5)
    assert first[0] < narrower[0] < narrower[1] < first[1]


def test_summarise_seeds() -> None:
    summary = summarise_seeds([0.5, 0.7, 0.6])
    assert summary.mean == pytest.approx(0.6)
    assert summary.std == pytest.approx(0.1)  # sample std of 0.5, 0.6, 0.7
    assert (summary.min, summary.max, summary.n) == (0.5, 0.7, 3)
    assert summary.mean_std(2) == "0.6 ± 0.1"
    assert summarise_seeds([0.3]).std == 0.0


def test_seed_summary_formats_with_four_significant_digits_by_default() -> None:
    summary = summarise_seeds([0.123456, 0.2, 0.345678])
    assert summary.mean_std() == "0.223 ± 0.1129"  # 4 significant digits (g drops the 0)
    assert summary.min_max() == "[0.1235, 0.3457]"
    assert summary.min_max(2) == "[0.12, 0.35]"


def test_non_finite_runs_are_ignored_and_all_nan_is_nan() -> None:
    summary = summarise_seeds([0.5, float("nan"), 0.7, float("inf")])
    assert (summary.mean, summary.n, summary.min, summary.max) == (0.6, 2, 0.5, 0.7)
    empty = summarise_seeds([float("nan")])
    assert empty.n == 0 and all(np.isnan([empty.mean, empty.std, empty.min, empty.max]))


def test_bootstrap_in_several_blocks_equals_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resamples are drawn in blocks; block size changes neither values nor the stream."""
    from astrobench.metrics import stats

    rng = np.random.default_rng(3)
    y_true, y_pred = np.zeros(50), rng.normal(0, 1, 50)
    whole = bootstrap_interval(regression.mean_residual, y_true, y_pred, n_boot=40, seed=2)
    monkeypatch.setattr(stats, "_MAX_INDEX_BLOCK", 50 * 7)  # 7 resamples per block, 6 blocks
    blocks = bootstrap_interval(regression.mean_residual, y_true, y_pred, n_boot=40, seed=2)
    assert blocks == whole
    # the interval is the 2.5 / 97.5 % quantile of means of resamples drawn from seed 2
    indices = np.random.default_rng(2).integers(0, 50, size=(40, 50))
    means = y_pred[indices].mean(axis=1)
    assert whole == pytest.approx(tuple(np.quantile(means, [0.025, 0.975])))


def test_bootstrap_rows_of_2d_inputs_move_together() -> None:
    y_true = np.array([0, 1, 1, 0])
    probabilities = np.eye(2)[y_true] * 0.9 + 0.05  # [4, 2], always right
    low, high = bootstrap_interval(classification.log_loss, y_true, probabilities, n_boot=30)
    assert low == pytest.approx(-np.log(0.95)) and high == pytest.approx(-np.log(0.95))


def test_bootstrap_refuses_bad_level_and_lengths() -> None:
    y = np.zeros(3)
    for level in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=f"level must be in \\(0, 1\\), got {level}"):
            bootstrap_interval(regression.mse, y, y, level=level)
    with pytest.raises(ValueError, match="need equal, non-zero lengths, got 3 and 2"):
        bootstrap_interval(regression.mse, y, y[:2])
    with pytest.raises(ValueError, match="non-zero lengths, got 0"):
        bootstrap_interval(regression.mse, y[:0], y[:0])


def test_two_seeds_have_a_sample_std() -> None:
    summary = summarise_seeds([0.4, 0.6])
    assert summary.std == pytest.approx(np.sqrt(0.02))  # ddof=1: sqrt(2 * 0.1**2 / 1)
    assert summary.n == 2


def test_bootstrap_defaults_are_1000_resamples_95_percent_seed_0() -> None:
    from astrobench.metrics.stats import bootstrap_intervals

    rng = np.random.default_rng(4)
    y_true, y_pred = np.zeros(30), rng.normal(0, 1, 30)
    explicit = bootstrap_interval(
        regression.mean_residual, y_true, y_pred, n_boot=1000, level=0.95, seed=0
    )
    assert bootstrap_interval(regression.mean_residual, y_true, y_pred) == explicit

    def score(rows: np.ndarray) -> dict[str, float]:
        return {"mean": float(y_pred[rows].mean())}

    assert bootstrap_intervals(score, 30, ["mean"]) == {"mean": pytest.approx(explicit)}
    assert bootstrap_intervals(score, 30, ["mean"], n_boot=1000, level=0.95, seed=0) == {
        "mean": explicit
    }


def test_bootstrap_intervals_refuses_no_units_and_a_bad_level() -> None:
    from astrobench.metrics.stats import bootstrap_intervals

    with pytest.raises(ValueError, match=r"^need equal, non-zero lengths, got 0$"):
        bootstrap_intervals(lambda rows: {"m": 0.0}, 0, ["m"])
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\), got 1.0"):
        bootstrap_intervals(lambda rows: {"m": 0.0}, 3, ["m"], level=1.0)


def test_seed_summaries_of_float32_values_are_computed_in_float64() -> None:
    values = np.array([0.1, 0.2, 0.7, 0.35], dtype=np.float32)
    summary = summarise_seeds(values)
    exact = values.astype(np.float64)
    assert summary.mean == float(exact.mean())
    assert summary.std == float(exact.std(ddof=1))
