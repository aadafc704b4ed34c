"""`retrieval`: cross-modal similarity search between an image and a spectrum encoder (seed 003
§6.1), scored on the test split.

A retrieval cell's predictions hold both embeddings of every test object (`extra["image"]`,
`extra["spectrum"]`, [n, E]); every metric is recomputed from them, so a stored predictions
file reproduces its row exactly (and a bootstrap resample is scored the same way):

    <q>_to_<d>/recall@k     fraction of objects whose own pair is among the k database rows
                            most cosine-similar to its query (ties counted in its favour)
    <q>_to_<d>/median_rank  median 1-based rank of the own pair
    chance/recall@k         k / n, the recall of a random ordering of the n test objects
    <q>_to_<d>/<col>_r2     R² of each object's column value against the mean over its 16
                            nearest database rows (its own object left out); in-modal
                            directions (image_to_image, spectrum_to_spectrum) included
    <q>_to_<d>/redshift_sigma_nmad   σ_NMAD of that neighbour-mean redshift

`y_pred` is the image-to-spectrum neighbour-mean of the columns. The target columns are the
properties neighbours should agree on (`{column: redshift, task: retrieval}` in a suite); no
head on pooled features predicts this task: protocol `retrieval` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from astrobench.errors import ConfigError
from astrobench.metrics.photoz import sigma_nmad
from astrobench.metrics.regression import r2
from astrobench.metrics.retrieval import neighbour_means, pair_ranks
from astrobench.registry import register_task
from astrobench.tasks.base import Output, Task, TaskFigure, ValueOutput

if TYPE_CHECKING:
    from collections.abc import Mapping

    from astrobench.tasks.predictions import Predictions

RECALL_KS = (1, 5, 10)
NEIGHBOURS = 16
CROSS = (("image", "spectrum"), ("spectrum", "image"))
IN_MODAL = (("image", "image"), ("spectrum", "spectrum"))
_LOWER = ("median_rank", "sigma_nmad")


@register_task("retrieval")
@dataclass(frozen=True)
class RetrievalTask(Task):
    """Cross-modal recall and neighbour agreement of an image-spectrum encoder pair."""

    kind: ClassVar[str] = "retrieval"
    pooled_heads: ClassVar[bool] = False  # served by protocol `retrieval` only
    default_headline: ClassVar[str] = "image_to_spectrum/recall@10"
    default_interval_metrics: ClassVar[tuple[str, ...]] = (
        "spectrum_to_image/recall@10",
        "image_to_spectrum/median_rank",
    )
    default_table_metrics: ClassVar[tuple[str, ...]] = (
        "spectrum_to_image/recall@10",
        "image_to_spectrum/recall@1",
        "spectrum_to_image/recall@1",
        "image_to_spectrum/median_rank",
        "spectrum_to_image/median_rank",
        "chance/recall@1",
        "chance/recall@10",
    )

    def metric_higher_is_better(self, name: str) -> bool:
        return not name.endswith(_LOWER)

    @property
    def output(self) -> Output:
        return ValueOutput(len(self.columns))

    def neighbour_prediction(
        self, query: np.ndarray, database: np.ndarray, values: np.ndarray, ids: np.ndarray
    ) -> np.ndarray:
        """Neighbour-mean `values` ([n] or [n, T]) of each query among the database rows."""
        return neighbour_means(query, database, values, NEIGHBOURS, ids, ids)

    def score(self, predictions: Predictions) -> dict[str, float]:
        z = _embeddings(predictions)
        n = len(predictions)
        ids = _object_ids(predictions)
        scores: dict[str, float] = {}
        for query, database in CROSS:
            # a duplicate of the pair (bootstrap) ties with it and never outranks it
            ranks = pair_ranks(z[query], z[database])
            name = f"{query}_to_{database}"
            scores.update({f"{name}/recall@{k}": float(np.mean(ranks <= k)) for k in RECALL_KS})
            scores[f"{name}/median_rank"] = float(np.median(ranks))
        scores.update({f"chance/recall@{k}": min(1.0, k / n) for k in RECALL_KS})
        truth = np.asarray(predictions.y_true, dtype=np.float64).reshape(n, -1)  # [n, T]
        for query, database in (*CROSS, *IN_MODAL):
            guess = self.neighbour_prediction(z[query], z[database], truth, ids).reshape(n, -1)
            for j, column in enumerate(self.columns):
                name = f"{query}_to_{database}/{column}"
                scores[f"{name}_r2"] = r2(truth[:, j], guess[:, j])
                if column == "redshift":
                    scores[f"{name}_sigma_nmad"] = sigma_nmad(truth[:, j], guess[:, j])
        return scores

    def selection_score(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise ConfigError("retrieval tasks choose nothing on validation rows")

    def compare_figures(
        self, scored: Mapping[str, Mapping[str, float]], label: str
    ) -> list[TaskFigure]:
        """Recall@k of every encoder pair, both directions, beside chance; how well the
        neighbours of each direction agree on the first column."""
        from astrobench.report.retrieval_figures import agreement_bars, recall_bars

        caption = (
            f"{label}: cross-modal recall@k of each encoder pair (image→spectrum solid, "
            "spectrum→image hatched) against chance (k / N, grey)"
        )
        figures = [TaskFigure(caption, recall_bars(scored, RECALL_KS, caption), f"recall_{label}")]
        column = self.columns[0]
        caption = (
            f"{label}: R² of each test object's {column} against the mean of its {NEIGHBOURS} "
            "nearest neighbours (its own object left out), per search direction"
        )
        png = agreement_bars(scored, column, caption)
        return [*figures, TaskFigure(caption, png, f"agreement_{label}")]


def _embeddings(predictions: Predictions) -> dict[str, np.ndarray]:
    missing = [m for m in ("image", "spectrum") if m not in predictions.extra]
    if missing:
        raise ConfigError(
            f"these predictions hold no {missing[0]} embeddings to score retrieval with",
            "retrieval predictions come from protocol `retrieval`",
        )
    return {m: np.asarray(predictions.extra[m], dtype=np.float32) for m in ("image", "spectrum")}


def _object_ids(predictions: Predictions) -> np.ndarray:
    if predictions.indices is not None:
        return np.asarray(predictions.indices, dtype=np.int64)
    return np.arange(len(predictions), dtype=np.int64)
