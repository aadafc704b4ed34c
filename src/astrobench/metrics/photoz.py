"""Photometric-redshift metrics on the normalised residual Δz = (ẑ − z) / (1 + z).

Conventions follow the papers astrobench reproduces: C-MAE (seed 000, Tables 5–6: Δz, σ_MAD, η)
and AstroMAE (seed 001, §III-C: MSE, MAE, bias, precision, R²). MSE, MAE and R² are computed on
the redshifts themselves, as in AstroMAE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from astrobench.errors import ConfigError
from astrobench.metrics import regression
from astrobench.metrics.regression import as_pair

OUTLIER_THRESHOLD = 0.15  # the conventional η (catastrophic outliers)
OUTLIER_THRESHOLDS = (0.05, 0.15)  # every photo-z score reports η at each of these
OUTLIER_PREFIX = "outlier_fraction_"
_LEGACY_OUTLIER_KEY = "outlier_fraction"  # results stored before the per-threshold keys: 0.15
_V = TypeVar("_V")
NMAD_SCALE = 1.4826  # makes the median absolute deviation of a Gaussian equal to its sigma
ASTROMAE_PRECISION_SCALE = 1.48


def delta_z(z_true: np.ndarray, z_pred: np.ndarray) -> np.ndarray:
    """Δz = (ẑ − z) / (1 + z) for every object, float64 [N]."""
    z_true, z_pred = as_pair(z_true, z_pred)
    return (z_pred - z_true) / (1.0 + z_true)


def bias(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """Mean Δz (AstroMAE eq. 7)."""
    return float(np.mean(delta_z(z_true, z_pred)))


def sigma_nmad(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """Normalised median absolute deviation, 1.4826 · median|Δz − median(Δz)|."""
    dz = delta_z(z_true, z_pred)
    return float(NMAD_SCALE * np.median(np.abs(dz - np.median(dz))))


def sigma68(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """Half the width of the central 68.27 % interval of Δz, (p84.135 − p15.865) / 2."""
    low, high = np.percentile(delta_z(z_true, z_pred), [15.865, 84.135])
    return float((high - low) / 2.0)


def outlier_fraction(
    z_true: np.ndarray, z_pred: np.ndarray, threshold: float = OUTLIER_THRESHOLD
) -> float:
    """η: fraction of objects with |Δz| > `threshold` (strictly; 0.15 by convention)."""
    return float(np.mean(np.abs(delta_z(z_true, z_pred)) > threshold))


def outlier_key(threshold: float) -> str:
    """The metric name of η at `threshold`: "outlier_fraction_0.15"."""
    return f"{OUTLIER_PREFIX}{threshold:g}"


def check_outlier_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """`thresholds` as a sorted tuple of distinct floats; ConfigError unless all finite and > 0."""
    values = tuple(sorted({float(t) for t in thresholds}))
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise ConfigError(
            f"photo-z outlier thresholds must be finite numbers > 0, got {list(thresholds)}",
            "e.g. outlier_thresholds: [0.05, 0.15]",
        )
    return values


def outlier_fractions(metrics: Mapping[str, _V]) -> dict[float, _V]:
    """{threshold: value} of the η entries of a metrics mapping, by ascending threshold.

    A result stored before per-threshold keys has one `outlier_fraction`, read as 0.15.
    """
    found: dict[float, _V] = {}
    for name, value in metrics.items():
        if name.startswith(OUTLIER_PREFIX):
            try:
                found[float(name[len(OUTLIER_PREFIX) :])] = value
            except ValueError:
                continue
    if _LEGACY_OUTLIER_KEY in metrics and OUTLIER_THRESHOLD not in found:
        found[OUTLIER_THRESHOLD] = metrics[_LEGACY_OUTLIER_KEY]
    return dict(sorted(found.items()))


def astromae_precision(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """AstroMAE's precision (eq. 8), 1.48 · median|Δz| (not centred on the median)."""
    return float(ASTROMAE_PRECISION_SCALE * np.median(np.abs(delta_z(z_true, z_pred))))


def photoz_metrics(
    z_true: np.ndarray,
    z_pred: np.ndarray,
    outlier_thresholds: Sequence[float] = OUTLIER_THRESHOLDS,
) -> dict[str, float]:
    """Every photo-z metric at once.

    Args:
        z_true: true redshifts [N].
        z_pred: predicted redshifts [N].
        outlier_thresholds: η is reported at each, as `outlier_fraction_<t>` (e.g.
            "outlier_fraction_0.05"), the fraction with |Δz| strictly above t.

    Raises:
        ConfigError: an empty threshold list, or a threshold that is not a finite number > 0.
    """
    thresholds = check_outlier_thresholds(outlier_thresholds)
    metrics = {
        "bias": bias(z_true, z_pred),
        "sigma_nmad": sigma_nmad(z_true, z_pred),
        "sigma68": sigma68(z_true, z_pred),
        "precision": astromae_precision(z_true, z_pred),
        "mse": regression.mse(z_true, z_pred),
        "mae": regression.mae(z_true, z_pred),
        "r2": regression.r2(z_true, z_pred),
    }
    abs_dz = np.abs(delta_z(z_true, z_pred))  # [N]
    for threshold in thresholds:
        metrics[outlier_key(threshold)] = float(np.mean(abs_dz > threshold))
    return metrics
