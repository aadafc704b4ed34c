"""Posterior metrics as pure functions: NLL, TARP expected coverage, interval coverage, PIT, CRPS.

A posterior is given by samples `[n, S, T]` (n objects, S draws, T target columns) and, where
the model has a density, log-densities of the true values. Conventions:

* NLL is the mean of −log q(y | x) over objects, in the units of the targets (seed 003, eq. 5).
  An ensemble's density is the equal mixture of its members.
* TARP (Lemos et al. 2023, arXiv:2302.03026) draws one random reference point per object in the
  parameter box (each column scaled to [0, 1] over the true values, as the `tarp` package does);
  the rank f of an object is the fraction of its samples closer to the reference than the truth.
  A calibrated posterior gives uniform ranks, so ECP(α) = P(f < α) follows the diagonal.
* Coverage of a central interval at level c: the fraction of truths inside the
  [(1 − c) / 2, (1 + c) / 2] quantiles of their own samples, per column.
* PIT (one target column): the fraction of samples below the truth; uniform when calibrated.
* CRPS (one target column), energy form E|X − y| − ½ E|X − X'| with the unbiased (fair)
  estimate of E|X − X'| over distinct pairs of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import logsumexp

DEFAULT_ALPHA_POINTS = 101
COVERAGE_LEVELS = (0.68, 0.95)
_TARP_EPSILON = 1e-10  # the `tarp` package's guard against a zero-width column


def mixture_log_density(member_log_densities: np.ndarray) -> np.ndarray:
    """Log-density of the equal mixture of M members, [n], from their log-densities [M, n]."""
    values = np.asarray(member_log_densities, dtype=np.float64)
    return np.asarray(logsumexp(values, axis=0) - np.log(values.shape[0]))


def negative_log_likelihood(log_density: np.ndarray) -> float:
    """Mean −log q(y_i | x_i) over objects."""
    values = np.asarray(log_density, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("cannot score an empty set of log-densities")
    return float(-values.mean())


def nll_spread(log_densities: np.ndarray) -> dict[str, float]:
    """NLL of each run (ensemble member or seed) and its mean and spread.

    Args:
        log_densities: [R, n] (or [seeds, members, n]) log-densities of the true values; every
            leading index is one run.

    Returns:
        {"nll_mean": mean over runs, "nll_std": sample standard deviation over runs (0 for one
        run), "n_runs": R}.
    """
    values = np.asarray(log_densities, dtype=np.float64)
    per_run = -values.reshape(-1, values.shape[-1]).mean(axis=1)  # [R]
    spread = float(per_run.std(ddof=1)) if per_run.size > 1 else 0.0
    return {"nll_mean": float(per_run.mean()), "nll_std": spread, "n_runs": float(per_run.size)}


def _as_posterior(samples: np.ndarray, truths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Samples as float64 [n, S, T] and truths as [n, T]; 1-D targets gain a column axis."""
    samples = np.asarray(samples, dtype=np.float64)
    truths = np.asarray(truths, dtype=np.float64)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    if truths.ndim == 1:
        truths = truths[:, None]
    if samples.ndim != 3 or truths.ndim != 2:
        raise ValueError(
            f"need samples [n, S, T] and truths [n, T], got {samples.shape}, {truths.shape}"
        )
    if samples.shape[0] != truths.shape[0] or samples.shape[2] != truths.shape[1]:
        raise ValueError(f"samples {samples.shape} do not match truths {truths.shape}")
    if samples.shape[0] == 0 or samples.shape[1] == 0:
        raise ValueError("need at least one object and one sample")
    return samples, truths


def tarp_references(n: int, n_columns: int, seed: int = 0) -> np.ndarray:
    """Random reference points, uniform in the unit cube of the normalised parameters, [n, T]."""
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, n_columns))


def tarp_ranks(
    samples: np.ndarray,
    truths: np.ndarray,
    references: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """TARP rank of every object: fraction of samples closer to its reference than its truth.

    Args:
        samples: [n, S, T] (or [n, S] for one column).
        truths: [n, T] (or [n]).
        references: [n, T] points in the normalised unit cube (each column mapped to [0, 1] over
            the truths); drawn with `tarp_references(n, T, seed)` when None.
        seed: seed of the random references.

    Returns:
        [n] ranks in [0, 1].
    """
    samples, truths = _as_posterior(samples, truths)
    low = truths.min(axis=0)  # [T]
    high = truths.max(axis=0)
    scale = high - low + _TARP_EPSILON
    samples = (samples - low) / scale  # [n, S, T]
    truths = (truths - low) / scale  # [n, T]
    if references is None:
        references = tarp_references(truths.shape[0], truths.shape[1], seed=seed)
    references = np.asarray(references, dtype=np.float64)
    if references.shape != truths.shape:
        raise ValueError(f"references {references.shape} must match truths {truths.shape}")
    sample_distance = np.sqrt(np.sum((references[:, None, :] - samples) ** 2, axis=-1))  # [n, S]
    truth_distance = np.sqrt(np.sum((references - truths) ** 2, axis=-1))  # [n]
    return np.asarray(np.mean(sample_distance < truth_distance[:, None], axis=1))


def expected_coverage(ranks: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """ECP(α) = P(f < α) at each α of an increasing grid; the top of the grid counts f ≤ α.

    The closed top end matches the `tarp` package (whose histogram's last bin is closed), so
    the ECP reaches 1 at the end of the grid.
    """
    ranks = np.sort(np.asarray(ranks, dtype=np.float64))
    alpha = np.asarray(alpha, dtype=np.float64)
    ecp = np.searchsorted(ranks, alpha, side="left") / ranks.size
    ecp[-1] = np.searchsorted(ranks, alpha[-1], side="right") / ranks.size
    return np.asarray(ecp)


@dataclass(frozen=True)
class TarpResult:
    """A TARP expected-coverage curve and its summaries."""

    alpha: np.ndarray  # [A] credibility levels, 0 to 1
    ecp: np.ndarray  # [A] expected coverage probability at each level
    ranks: np.ndarray  # [n] TARP rank of each object
    area: float  # mean |ECP − α| over the grid (area between the curve and the diagonal)
    max_deviation: float  # max |ECP − α|
    ks_statistic: float  # Kolmogorov-Smirnov test of the ranks against U(0, 1)
    ks_pvalue: float

    def summary(self) -> dict[str, float]:
        """The scalar summaries as metrics."""
        return {
            "tarp_area": self.area,
            "tarp_max_deviation": self.max_deviation,
            "tarp_ks_pvalue": self.ks_pvalue,
        }


def tarp_coverage(
    samples: np.ndarray,
    truths: np.ndarray,
    references: np.ndarray | None = None,
    seed: int = 0,
    n_alpha: int = DEFAULT_ALPHA_POINTS,
) -> TarpResult:
    """TARP expected coverage on a uniform α grid, its area to the diagonal and a KS test."""
    ranks = tarp_ranks(samples, truths, references, seed)
    alpha = np.linspace(0.0, 1.0, n_alpha)
    ecp = expected_coverage(ranks, alpha)
    deviation = np.abs(ecp - alpha)
    ks = stats.kstest(ranks, "uniform")
    return TarpResult(
        alpha=alpha,
        ecp=ecp,
        ranks=ranks,
        area=float(deviation.mean()),
        max_deviation=float(deviation.max()),
        ks_statistic=float(ks.statistic),
        ks_pvalue=float(ks.pvalue),
    )


def interval_coverage(samples: np.ndarray, truths: np.ndarray, level: float) -> np.ndarray:
    """Fraction of truths inside the central `level` interval of their samples, per column [T]."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    samples, truths = _as_posterior(samples, truths)
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=1)  # [n, T] each
    return np.asarray(np.mean((truths >= low) & (truths <= high), axis=0))


def _one_column(samples: np.ndarray, truths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    samples, truths = _as_posterior(samples, truths)
    if samples.shape[2] != 1:
        raise ValueError(f"PIT and CRPS need one target column, got {samples.shape[2]}")
    return samples[:, :, 0], truths[:, 0]


def pit_values(samples: np.ndarray, truths: np.ndarray) -> np.ndarray:
    """Probability integral transform of each truth, [n]: the fraction of samples below it.

    Samples equal to the truth count one half, so a tie does not bias the histogram.
    """
    samples, truths = _one_column(samples, truths)
    below = np.sum(samples < truths[:, None], axis=1)
    equal = np.sum(samples == truths[:, None], axis=1)
    return np.asarray((below + 0.5 * equal) / samples.shape[1])


def pit_histogram(pit: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of PIT values on [0, 1]: (densities [bins], edges [bins + 1])."""
    density, edges = np.histogram(
        np.asarray(pit, dtype=np.float64), bins=bins, range=(0, 1), density=True
    )
    return density, edges


def crps_from_samples(samples: np.ndarray, truths: np.ndarray) -> np.ndarray:
    """Continuous ranked probability score of every object, [n] (lower is better).

    E|X − y| − ½ E|X − X'|, with E|X − X'| over the S(S − 1) ordered pairs of distinct samples,
    computed from the sorted samples in O(S log S): Σ_{i<j} (x_(j) − x_(i)) = Σ_k (2k − S + 1) x_(k)
    for 0-based ranks k.
    """
    samples, truths = _one_column(samples, truths)
    n_samples = samples.shape[1]
    if n_samples < 2:
        raise ValueError("CRPS from samples needs at least two samples per object")
    to_truth = np.mean(np.abs(samples - truths[:, None]), axis=1)  # [n]
    ordered = np.sort(samples, axis=1)  # [n, S]
    weights = 2 * np.arange(n_samples) - n_samples + 1  # [S]
    pair_sum = ordered @ weights  # Σ_{i<j} |x_i − x_j| per object
    between = 2 * pair_sum / (n_samples * (n_samples - 1))
    return np.asarray(to_truth - 0.5 * between)


# Acceptance bands of the flow tests (issue 13): 68 ± 5 % and 95 ± 3 %, TARP within 0.05.
DEFAULT_COVERAGE_TOLERANCE = {0.68: 0.05, 0.95: 0.03}
DEFAULT_TARP_TOLERANCE = 0.05
CALIBRATED, OVER_CONFIDENT, UNDER_CONFIDENT = "calibrated", "over-confident", "under-confident"


@dataclass(frozen=True)
class CalibrationVerdict:
    """Whether a posterior is calibrated, and the checks that decided it."""

    label: str  # CALIBRATED, OVER_CONFIDENT or UNDER_CONFIDENT
    reasons: tuple[str, ...]  # one line per failed check (empty when calibrated)
    coverage: dict[float, np.ndarray]  # level -> [T] coverage per column
    tarp: TarpResult

    def __str__(self) -> str:
        return self.label if not self.reasons else f"{self.label}: {'; '.join(self.reasons)}"


def calibration_verdict(
    samples: np.ndarray,
    truths: np.ndarray,
    coverage_tolerance: dict[float, float] | None = None,
    tarp_tolerance: float = DEFAULT_TARP_TOLERANCE,
    seed: int = 0,
    columns: tuple[str, ...] | None = None,
) -> CalibrationVerdict:
    """Calibrated, over-confident or under-confident, from interval coverage and TARP.

    A central interval that covers fewer truths than its level (by more than its tolerance) is
    too narrow: over-confident; more: under-confident. When the intervals pass but the TARP
    curve leaves the diagonal by more than `tarp_tolerance`, the direction comes from the TARP
    ranks: piled up at 0 and 1 (mean |f − ½| above the uniform ¼) means truths lie outside the
    bulk of their samples (over-confident); piled up in the middle, under-confident. Where
    columns disagree, the larger total excess over the tolerances decides.

    On small test sets the tolerances widen to what chance alone allows: three binomial
    standard errors for a coverage, the 99 % Kolmogorov-Smirnov bound 1.63 / √n for TARP.
    `columns` names the target columns in the reasons (default: their indices).
    """
    samples, truths = _as_posterior(samples, truths)
    n = len(truths)
    tolerance = {
        level: max(allowed, 3 * float(np.sqrt(level * (1 - level) / n)))
        for level, allowed in (coverage_tolerance or DEFAULT_COVERAGE_TOLERANCE).items()
    }
    coverage = {level: interval_coverage(samples, truths, level) for level in tolerance}
    tarp = tarp_coverage(samples, truths, seed=seed)
    names = columns or tuple(f"column {i}" for i in range(truths.shape[1]))
    reasons, excess = _coverage_failures(coverage, tolerance, names)
    tarp_allowed = max(tarp_tolerance, 1.63 / float(np.sqrt(n)))
    if tarp.max_deviation > tarp_allowed:
        if not reasons:
            spread = float(np.mean(np.abs(tarp.ranks - 0.5)))
            excess[OVER_CONFIDENT if spread > 0.25 else UNDER_CONFIDENT] += 1.0
        reasons.append(
            f"TARP curve {tarp.max_deviation:.3f} from the diagonal (>{tarp_allowed:.3f})"
        )
    if not reasons:
        return CalibrationVerdict(CALIBRATED, (), coverage, tarp)
    label = max(excess, key=lambda side: excess[side])
    return CalibrationVerdict(label, tuple(reasons), coverage, tarp)


def _coverage_failures(
    coverage: dict[float, np.ndarray], tolerance: dict[float, float], names: tuple[str, ...]
) -> tuple[list[str], dict[str, float]]:
    """Reasons and, per direction, the total excess of coverages outside their tolerance."""
    excess = {OVER_CONFIDENT: 0.0, UNDER_CONFIDENT: 0.0}
    reasons: list[str] = []
    for level, allowed in tolerance.items():
        for name, value in zip(names, coverage[level], strict=True):
            miss = float(value) - level
            if abs(miss) > allowed:
                excess[OVER_CONFIDENT if miss < 0 else UNDER_CONFIDENT] += abs(miss) - allowed
                reasons.append(f"{name}: {level:.0%} interval covers {value:.1%} (±{allowed:.1%})")
    return reasons, excess


def posterior_metrics(
    samples: np.ndarray,
    truths: np.ndarray,
    columns: tuple[str, ...],
    log_density: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Every scalar posterior metric: NLL (when densities exist), TARP, coverage, PIT and CRPS.

    Coverage is averaged over columns (`coverage68`, `coverage95`) and, for several columns,
    given per column as `<column>/coverage68` (the multi-output naming); PIT (as the KS p-value
    of its uniformity) and CRPS only for a single column.
    """
    samples, truths = _as_posterior(samples, truths)
    if len(columns) != truths.shape[1]:
        raise ValueError(f"{len(columns)} column names for {truths.shape[1]} target columns")
    metrics: dict[str, float] = {}
    if log_density is not None:
        metrics["nll"] = negative_log_likelihood(log_density)
    metrics.update(tarp_coverage(samples, truths, seed=seed).summary())
    for level in COVERAGE_LEVELS:
        name = f"coverage{round(level * 100)}"
        per_column = interval_coverage(samples, truths, level)
        metrics[name] = float(per_column.mean())
        if len(columns) > 1:
            metrics.update(
                {f"{c}/{name}": float(v) for c, v in zip(columns, per_column, strict=True)}
            )
    if truths.shape[1] == 1:
        metrics["pit_ks_pvalue"] = float(
            stats.kstest(pit_values(samples, truths), "uniform").pvalue
        )
        metrics["crps"] = float(crps_from_samples(samples, truths).mean())
    return metrics


def energy_score(samples: np.ndarray, truths: np.ndarray, fair: bool = True) -> np.ndarray:
    """Energy score of every object, [n]: E‖X − y‖ − ½ E‖X − X'‖ (lower is better).

    The multivariate CRPS (Gneiting & Raftery 2007), equal to `crps_from_samples` for one
    column. `fair`: E‖X − X'‖ over the S(S − 1) ordered pairs of distinct samples (the score of
    the distribution the samples are drawn from); otherwise over all S² pairs (the score of the
    S samples themselves as the forecast, which penalises a small ensemble's missing tails).
    """
    samples, truths = _as_posterior(samples, truths)
    n_samples = samples.shape[1]
    if n_samples < 2:
        raise ValueError("the energy score from samples needs at least two samples per object")
    to_truth = np.linalg.norm(samples - truths[:, None, :], axis=2).mean(axis=1)  # [n]
    between = np.empty(len(samples))
    for start in range(0, len(samples), 64):  # [64, S, S] distances at a time
        block = samples[start : start + 64]
        pairs = np.linalg.norm(block[:, :, None, :] - block[:, None, :, :], axis=3)
        pair_count = n_samples * (n_samples - 1) if fair else n_samples**2
        between[start : start + 64] = pairs.sum(axis=(1, 2)) / pair_count
    return np.asarray(to_truth - 0.5 * between)
