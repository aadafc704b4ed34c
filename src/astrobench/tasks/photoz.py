"""Photometric redshift: the `redshift` column, scored by the metrics astronomers quote.

σ_NMAD, bias, σ68 and AstroMAE's precision of Δz = (ẑ − z)/(1 + z), and the outlier fraction η
at each threshold of `outlier_thresholds` (|Δz| strictly above it): 0.05 is the threshold of
Pasquet et al. 2019 (the sample of seed 000), 0.15 the usual one. Metric names carry the
threshold (`outlier_fraction_0.05`), so tables and figures state it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.registry import register_task
from astrobench.tasks.base import TaskFigure
from astrobench.tasks.posterior_scores import POSTERIOR_LOWER_IS_BETTER, posterior_scores
from astrobench.tasks.regression import RegressionTask

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.tasks.predictions import Predictions

DEFAULT_OUTLIER_THRESHOLDS = (0.05, 0.15)


@register_task("photoz")
@dataclass(frozen=True)
class PhotozTask(RegressionTask):
    """Predict a redshift; scored by σ_NMAD (headline), η at each threshold, bias, ..."""

    kind: ClassVar[str] = "photoz"
    lower_is_better: ClassVar[frozenset[str]] = (
        frozenset({"sigma_nmad", "sigma68", "precision", "mse", "rmse", "mae"})
        | POSTERIOR_LOWER_IS_BETTER
    )
    default_headline: ClassVar[str] = "sigma_nmad"

    outlier_thresholds: tuple[float, ...] = DEFAULT_OUTLIER_THRESHOLDS

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        return 20 if columns == (fmt.REDSHIFT,) else 0

    def metric_higher_is_better(self, name: str) -> bool:
        short = name.rsplit("/", 1)[-1]
        return short not in self.lower_is_better and not short.startswith("outlier_fraction")

    @property
    def outlier_metrics(self) -> tuple[str, ...]:
        return tuple(f"outlier_fraction_{t:g}" for t in self.outlier_thresholds)

    @property
    def interval_metrics(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys((self.headline_metric, "sigma_nmad", *self.outlier_metrics, "bias"))
        )

    @property
    def table_metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.headline_metric, *self.outlier_metrics, "bias")))

    def score(self, predictions: Predictions) -> dict[str, float]:
        scores = photoz_scores(predictions.y_true, predictions.y_pred, self.outlier_thresholds)
        return {**scores, **posterior_scores(self.columns, predictions)}

    def figures(self, predictions: Predictions, label: str, what: str) -> list[TaskFigure]:
        from astrobench.tasks.figures import photoz_scatter

        stats = photoz_scores(predictions.y_true, predictions.y_pred, self.outlier_thresholds)
        caption = f"{label}: predicted vs true redshift of the best model ({what})"
        png = photoz_scatter(predictions.y_true, predictions.y_pred, stats, caption)
        return [TaskFigure(caption, png, f"photoz_{label}")]


def photoz_scores(
    z_true: np.ndarray, z_pred: np.ndarray, thresholds: tuple[float, ...]
) -> dict[str, float]:
    """Every photo-z metric, with η at each threshold (metrics.photoz.photoz_metrics)."""
    from astrobench.metrics.photoz import photoz_metrics

    return photoz_metrics(z_true, z_pred, thresholds)
