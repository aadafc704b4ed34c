"""Multi-output regression: several columns at once (`--target redshift,log_mstar,log_ssfr`).

Targets are [N, T]; heads predict every column standardised by its training mean and std, so
no column dominates the loss by its units. Metrics are given per column (`<column>/r2`, and for
a `redshift` column the photo-z metrics too) and averaged over columns (`r2`, `mae_std`: the MAE
in units of each column's standard deviation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.errors import ConfigError
from astrobench.registry import register_task
from astrobench.tasks.base import Task
from astrobench.tasks.photoz import DEFAULT_OUTLIER_THRESHOLDS, photoz_scores
from astrobench.tasks.posterior_scores import POSTERIOR_LOWER_IS_BETTER, posterior_scores
from astrobench.tasks.regression import RegressionTask, regression_scores

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.tasks.predictions import Predictions


@register_task("multioutput")
@dataclass(frozen=True)
class MultiOutputTask(RegressionTask):
    """Predict several columns; headline: R² averaged over columns."""

    kind: ClassVar[str] = "multioutput"
    lower_is_better: ClassVar[frozenset[str]] = (
        frozenset({"mse", "rmse", "mae", "mae_std", "sigma_nmad", "sigma68", "precision"})
        | POSTERIOR_LOWER_IS_BETTER
    )
    default_headline: ClassVar[str] = "r2"
    default_interval_metrics: ClassVar[tuple[str, ...]] = ("r2", "mae_std")
    default_table_metrics: ClassVar[tuple[str, ...]] = ("mae_std",)

    outlier_thresholds: tuple[float, ...] = DEFAULT_OUTLIER_THRESHOLDS

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        return 50 if len(columns) > 1 else 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> Task:
        if len(columns) < 2 or len(set(columns)) != len(columns):
            raise ConfigError(
                f"a multi-output target is two or more different columns, got {','.join(columns)}",
                "e.g. --target redshift,log_mstar,log_ssfr",
            )
        for column in columns:
            if cutouts.column(column).dtype.kind not in "iufb":
                raise ConfigError(
                    f"column {column!r} does not hold numbers", "predict numeric columns"
                )
        return cls(columns, **options)

    def metric_higher_is_better(self, name: str) -> bool:
        short = name.rsplit("/", 1)[-1]
        return short not in self.lower_is_better and not short.startswith("outlier_fraction")

    def score(self, predictions: Predictions) -> dict[str, float]:
        truth = np.asarray(predictions.y_true, dtype=np.float64)  # [n, T]
        pred = np.asarray(predictions.y_pred, dtype=np.float64)
        scores: dict[str, float] = {}
        per_column_r2, per_column_mae_std = [], []
        for j, column in enumerate(self.columns):
            column_scores = regression_scores(truth[:, j], pred[:, j])
            if column == fmt.REDSHIFT:
                column_scores.update(
                    photoz_scores(truth[:, j], pred[:, j], self.outlier_thresholds)
                )
            scores.update({f"{column}/{name}": value for name, value in column_scores.items()})
            per_column_r2.append(column_scores["r2"])
            per_column_mae_std.append(column_scores["mae"] / (float(truth[:, j].std()) + 1e-12))
        scores["r2"] = float(np.mean(per_column_r2))
        scores["mae_std"] = float(np.mean(per_column_mae_std))
        return {**scores, **posterior_scores(self.columns, predictions)}
