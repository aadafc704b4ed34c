"""Uncertainty of a metric: bootstrap intervals over objects, and spread over seeds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MetricFn = Callable[[np.ndarray, np.ndarray], float]
_MAX_INDEX_BLOCK = 4_000_000  # resampled indices drawn at once (32 MB of int64)


def bootstrap_interval(
    metric_fn: MetricFn,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `metric_fn(y_true, y_pred)` over objects.

    The resampled index sets are drawn in large blocks ([n_boot, N] at once when it fits), so
    the only per-replicate work is the metric itself. Rows of 2-D inputs (e.g. probabilities)
    are resampled together.

    Returns:
        (low, high) at the given two-sided `level`; the same seed gives the same interval.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(y_true)
    if n == 0 or len(y_pred) != n:
        raise ValueError(f"need equal, non-zero lengths, got {n} and {len(y_pred)}")
    rng = np.random.default_rng(seed)
    rows_per_block = max(1, _MAX_INDEX_BLOCK // n)
    values = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, rows_per_block):
        stop = min(n_boot, start + rows_per_block)
        indices = rng.integers(0, n, size=(stop - start, n))  # [B, N]
        values[start:stop] = [metric_fn(y_true[rows], y_pred[rows]) for rows in indices]
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class SeedSummary:
    """Spread of one metric over runs with different seeds."""

    mean: float
    std: float  # sample standard deviation (ddof=1); 0 for a single run
    min: float
    max: float
    n: int

    def mean_std(self, digits: int = 4) -> str:
        """'mean ± std' with `digits` significant digits."""
        return f"{self.mean:.{digits}g} ± {self.std:.{digits}g}"

    def min_max(self, digits: int = 4) -> str:
        """'[min, max]' as seed 002 reports its error bars."""
        return f"[{self.min:.{digits}g}, {self.max:.{digits}g}]"


def summarise_seeds(values: Sequence[float] | np.ndarray) -> SeedSummary:
    """Mean, sample std, min and max of one metric over seeds (NaN runs are ignored)."""
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    if array.size == 0:
        nan = float("nan")
        return SeedSummary(nan, nan, nan, nan, 0)
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return SeedSummary(float(array.mean()), std, float(array.min()), float(array.max()), array.size)
