"""Regression: one real-valued column (any catalog column; an integer one with `--task regression`).

Heads predict the standardised target ((y - mean) / std of the training rows), trained with MSE
or Huber; `decode` maps outputs back to the column's units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.errors import ConfigError
from astrobench.registry import register_task
from astrobench.tasks.base import Task, ValueOutput
from astrobench.tasks.posterior_scores import POSTERIOR_LOWER_IS_BETTER, posterior_scores

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.tasks.predictions import Predictions


@register_task("regression")
@dataclass(frozen=True)
class RegressionTask(Task):
    """Predict one value; scored by R², MSE, RMSE, MAE and bias (mean residual)."""

    kind: ClassVar[str] = "regression"
    lower_is_better: ClassVar[frozenset[str]] = (
        frozenset({"mse", "rmse", "mae"}) | POSTERIOR_LOWER_IS_BETTER
    )
    default_headline: ClassVar[str] = "r2"
    default_interval_metrics: ClassVar[tuple[str, ...]] = ("r2", "rmse")
    default_table_metrics: ClassVar[tuple[str, ...]] = ("mse", "mae")

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        return 1 if len(columns) == 1 else 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> Task:
        if len(columns) != 1:
            raise ConfigError(
                f"{cls.kind} predicts one column, got {','.join(columns)}",
                "several columns are a multi-output task: --task multioutput",
            )
        values = cutouts.column(columns[0])
        if values.dtype.kind not in "iufb":
            raise ConfigError(
                f"column {columns[0]!r} holds {values.dtype} values, not numbers",
                "predict a numeric catalog column",
            )
        return cls(columns, **options)

    @property
    def output(self) -> ValueOutput:
        return ValueOutput(len(self.columns))

    def make_loss(self, train_targets: np.ndarray, settings: Mapping[str, Any]) -> Any:
        from astrobench.models.heads import RegressionLoss

        values = np.asarray(train_targets, dtype=np.float64).reshape(len(train_targets), -1)
        return RegressionLoss(
            str(settings.get("loss", "mse")), values.mean(axis=0), values.std(axis=0) + 1e-12
        )

    def decode(self, outputs: np.ndarray, loss: Any) -> tuple[np.ndarray, np.ndarray | None]:
        values = np.asarray(outputs, dtype=np.float64) * loss.std + loss.mean  # [n, T]
        return (values[:, 0] if len(self.columns) == 1 else values), None

    def selection_score(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Minus the MSE, each column scaled by its validation variance (T columns weigh alike)."""
        truth = np.asarray(y_true, dtype=np.float64)
        pred = np.asarray(y_pred, dtype=np.float64)
        if truth.ndim == 1:
            return -np.mean((pred - truth) ** 2, axis=-1)
        scale = truth.var(axis=0) + 1e-12  # [T]
        return -np.mean((pred - truth) ** 2 / scale, axis=(-2, -1))

    def score(self, predictions: Predictions) -> dict[str, float]:
        scores = regression_scores(predictions.y_true, predictions.y_pred)
        return {**scores, **posterior_scores(self.columns, predictions)}


def regression_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R², MSE, RMSE, MAE and bias of one column."""
    from astrobench.metrics import regression

    return {
        "r2": regression.r2(y_true, y_pred),
        "mse": regression.mse(y_true, y_pred),
        "rmse": regression.rmse(y_true, y_pred),
        "mae": regression.mae(y_true, y_pred),
        "bias": regression.mean_residual(y_true, y_pred),
    }
