"""Photometric-redshift metrics on the normalised residual Δz = (ẑ − z) / (1 + z).

Conventions follow the papers astrobench reproduces: C-MAE (seed 000, Tables 5–6: Δz, σ_MAD, η)
and AstroMAE (seed 001, §III-C: MSE, MAE, bias, precision, R²). MSE, MAE and R² are computed on
the redshifts themselves, as in AstroMAE.
"""

from __future__ import annotations

import numpy as np

from astrobench.metrics import regression
from astrobench.metrics.regression import as_pair

OUTLIER_THRESHOLD = 0.15
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
    """η: fraction of objects with |Δz| > `threshold` (0.15 by convention)."""
    return float(np.mean(np.abs(delta_z(z_true, z_pred)) > threshold))


def astromae_precision(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """AstroMAE's precision (eq. 8), 1.48 · median|Δz| (not centred on the median)."""
    return float(ASTROMAE_PRECISION_SCALE * np.median(np.abs(delta_z(z_true, z_pred))))


def photoz_metrics(
    z_true: np.ndarray, z_pred: np.ndarray, outlier_threshold: float = OUTLIER_THRESHOLD
) -> dict[str, float]:
    """Every photo-z metric at once; `outlier_fraction` uses `outlier_threshold`."""
    metrics = {
        "bias": bias(z_true, z_pred),
        "sigma_nmad": sigma_nmad(z_true, z_pred),
        "sigma68": sigma68(z_true, z_pred),
        "outlier_fraction": outlier_fraction(z_true, z_pred, outlier_threshold),
        "precision": astromae_precision(z_true, z_pred),
        "mse": regression.mse(z_true, z_pred),
        "mae": regression.mae(z_true, z_pred),
        "r2": regression.r2(z_true, z_pred),
    }
    if outlier_threshold != OUTLIER_THRESHOLD:
        metrics["outlier_fraction_0.15"] = outlier_fraction(z_true, z_pred)
    return metrics
