"""Uncertainty of a metric: bootstrap intervals over objects, and spread over seeds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

    Rows of 2-D inputs (e.g. probabilities) are resampled together.

    Returns:
        (low, high) at the given two-sided `level`; the same seed gives the same interval.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_pred) != len(y_true):
        raise ValueError(f"need equal, non-zero lengths, got {len(y_true)} and {len(y_pred)}")

    def score(rows: np.ndarray) -> dict[str, float]:
        return {"metric": metric_fn(y_true[rows], y_pred[rows])}

    return bootstrap_intervals(score, len(y_true), ["metric"], n_boot, level, seed)["metric"]


def bootstrap_intervals(
    score_rows: Callable[[np.ndarray], Mapping[str, float]],
    n: int,
    names: Sequence[str],
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of several metrics at once, over `n` resampling units.

    `score_rows(rows)` scores the units `rows` (positions, with repeats) and returns at least
    the metrics `names`. The resampled index sets are drawn in large blocks ([n_boot, n] at
    once when it fits), so the only per-replicate work is the scoring itself.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n == 0:
        raise ValueError("need equal, non-zero lengths, got 0")
    rng = np.random.default_rng(seed)
    rows_per_block = max(1, _MAX_INDEX_BLOCK // n)
    values = np.empty((n_boot, len(names)), dtype=np.float64)
    for start in range(0, n_boot, rows_per_block):
        stop = min(n_boot, start + rows_per_block)
        indices = rng.integers(0, n, size=(stop - start, n))  # [B, n]
        for b, rows in enumerate(indices):
            scores = score_rows(rows)
            values[start + b] = [scores.get(name, np.nan) for name in names]
    alpha = (1.0 - level) / 2.0
    low, high = np.nanquantile(values, [alpha, 1.0 - alpha], axis=0)  # [len(names)] each
    return {name: (float(lo), float(hi)) for name, lo, hi in zip(names, low, high, strict=True)}


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
