"""Posterior metrics of a value task's predictions, when the protocol gave samples.

Every value task (regression, photoz, multioutput) adds these to its own scores, so a `flow`
row has R², σ_NMAD, bias and η of its posterior median *and* its calibration:
`nll` (when the protocol gave densities of the true values), `nll_member_mean` and
`nll_member_std` (over ensemble members), `tarp_area`, `tarp_max_deviation`, `tarp_ks_pvalue`,
`coverage68`, `coverage95` (per column as `<column>/coverageNN` when there are several), and for
one column `pit_ks_pvalue` and `crps`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from astrobench.metrics.calibration import nll_spread, posterior_metrics

if TYPE_CHECKING:
    from astrobench.tasks.predictions import Predictions

POSTERIOR_LOWER_IS_BETTER = frozenset(
    {"nll", "nll_member_mean", "nll_member_std", "tarp_area", "tarp_max_deviation", "crps"}
)
POSTERIOR_METRICS = POSTERIOR_LOWER_IS_BETTER | {
    "tarp_ks_pvalue",
    "coverage68",
    "coverage95",
    "pit_ks_pvalue",
}

POSTERIOR_TABLE_METRICS = ("nll", "tarp_max_deviation", "coverage68", "coverage95")  # CLI table


def is_posterior_metric(name: str) -> bool:
    """Whether metric `name` (per-column names included) needs posterior samples."""
    return name.rsplit("/", 1)[-1] in POSTERIOR_METRICS


def posterior_scores(columns: tuple[str, ...], predictions: Predictions) -> dict[str, float]:
    """Calibration metrics of `predictions.samples` ({} when there are none)."""
    if predictions.samples is None:
        return {}
    extra = predictions.extra
    truths = np.asarray(predictions.y_true, dtype=np.float64).reshape(len(predictions.y_true), -1)
    log_density = extra.get("log_density")
    scores = posterior_metrics(predictions.samples, truths, columns, log_density)
    members = extra.get("member_log_density")
    if members is not None:
        spread = nll_spread(np.asarray(members).T)  # [M, n]
        scores["nll_member_mean"] = spread["nll_mean"]
        scores["nll_member_std"] = spread["nll_std"]
    return scores
