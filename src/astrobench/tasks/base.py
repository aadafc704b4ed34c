"""A task kind says what to predict from a cutout file, with which head and loss, and how to score.

Each kind is one file in `tasks/` with a `Task` subclass registered by `@register_task("<kind>")`.
Protocols never branch on the kind: they ask the task for its targets, its `output` (what a
head must produce), its loss, its decoding and its scores. A task is a frozen dataclass: its
`describe()` is stored with every result, and `task_from_description` rebuilds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.registry import TASKS

if TYPE_CHECKING:
    from torch import nn

    from astrobench.data.cutout_file import CutoutFile
    from astrobench.tasks.predictions import Predictions


@dataclass(frozen=True)
class ClassOutput:
    """A head predicts one of `n_classes` classes (logits / probabilities)."""

    n_classes: int
    class_names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ValueOutput:
    """A head predicts `n_columns` real values per object (targets are standardised per column)."""

    n_columns: int


Output = ClassOutput | ValueOutput


@dataclass(frozen=True)
class TaskFigure:
    """A figure a task draws for the report: caption, PNG bytes, file-name slug."""

    caption: str
    png: bytes
    slug: str


@dataclass(frozen=True)
class Task:
    """Base of every task kind. Subclasses set `kind` and override what differs."""

    kind: ClassVar[str] = ""
    bootstrap_unit: ClassVar[str] = "object"  # what a bootstrap resample draws
    pooled_heads: ClassVar[bool] = True  # can a head on pooled embeddings predict it?
    lower_is_better: ClassVar[frozenset[str]] = frozenset()  # metric names where less is better
    default_headline: ClassVar[str] = ""
    default_interval_metrics: ClassVar[tuple[str, ...]] = ()
    default_table_metrics: ClassVar[tuple[str, ...]] = ()

    columns: tuple[str, ...]
    headline: str | None = None  # None: `default_headline`

    # ----- identity -------------------------------------------------------------------------
    @property
    def target(self) -> str:
        """The target as written on the command line: columns joined by commas."""
        return ",".join(self.columns)

    @property
    def headline_metric(self) -> str:
        return self.headline or self.default_headline

    @property
    def higher_is_better(self) -> bool:
        return self.metric_higher_is_better(self.headline_metric)

    def metric_higher_is_better(self, name: str) -> bool:
        """Whether a larger value of metric `name` is better (per-column names included)."""
        return name.rsplit("/", 1)[-1] not in self.lower_is_better

    @property
    def interval_metrics(self) -> tuple[str, ...]:
        """Metrics that get a bootstrap interval on every row (the headline first)."""
        return tuple(dict.fromkeys((self.headline_metric, *self.default_interval_metrics)))

    @property
    def table_metrics(self) -> tuple[str, ...]:
        """The headline and its companions, for compact tables."""
        return tuple(dict.fromkeys((self.headline_metric, *self.default_table_metrics)))

    def describe(self) -> dict[str, Any]:
        """JSON-able description; `task_from_description` rebuilds the task from it."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
        return {
            "kind": self.kind,
            **plain,
            "headline_metric": self.headline_metric,
            "higher_is_better": self.higher_is_better,
        }

    # ----- building from a file -------------------------------------------------------------
    @classmethod
    def required_columns(cls, columns: tuple[str, ...]) -> tuple[str, ...]:
        """Catalog columns the target needs (detection reads /boxes instead: none)."""
        return columns

    @classmethod
    def expand_target(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> tuple[str, ...] | None:
        """The catalog columns a target word of this kind stands for (`votes` -> every vote
        count of the file's tree), or None when the target is not such a word."""
        return None

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        """How strongly this kind is the natural reading of `columns` (0: not at all)."""
        return 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> Task:
        """The task of predicting `columns` of this file; `options` from the suite or CLI."""
        return cls(columns, **options)

    # ----- data -----------------------------------------------------------------------------
    @property
    def output(self) -> Output:
        raise NotImplementedError(f"{type(self).__name__} does not define output")

    def read_targets(self, cutouts: CutoutFile) -> np.ndarray:
        """Every object's target, file order: [N] for one column, [N, T] for several."""
        values = [np.asarray(cutouts.column(c), dtype=np.float64) for c in self.columns]
        return values[0] if len(values) == 1 else np.stack(values, axis=1)

    def labelled_mask(self, targets: np.ndarray) -> np.ndarray:
        """[N] bool: objects whose target is usable."""
        finite = np.isfinite(np.asarray(targets, dtype=np.float64))
        return np.asarray(finite if finite.ndim == 1 else finite.all(axis=1), dtype=bool)

    def strata(self, targets: np.ndarray) -> np.ndarray:
        """[N] int64 strata for stratified label fractions (quantile bins of the first column)."""
        from astrobench.data.splits import strata_for

        values = np.asarray(targets)
        return strata_for(values if values.ndim == 1 else values[:, 0])

    # ----- heads, losses, decoding ------------------------------------------------------------
    def build_head(self, num_features: int, dropout: float = 0.0) -> nn.Module:
        """A (dropout +) linear head with as many outputs as the task needs."""
        from astrobench.models.heads import build_head

        output = self.output
        n = output.n_classes if isinstance(output, ClassOutput) else output.n_columns
        return build_head(num_features, n, dropout)

    def make_loss(self, train_targets: np.ndarray, settings: Mapping[str, Any]) -> Any:
        """The training loss: a callable (outputs [B, K], targets) -> scalar."""
        raise NotImplementedError(f"{type(self).__name__} does not define make_loss()")

    def decode(self, outputs: np.ndarray, loss: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """(y_pred, probabilities or None) from raw head outputs [n, K]."""
        raise NotImplementedError(f"{type(self).__name__} does not define decode()")

    def selection_score(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Higher-is-better score on validation rows to choose hyper-parameters and epochs.

        `y_pred` may carry a leading grid axis ([G, n, ...]); the result then has shape [G].
        """
        raise NotImplementedError(f"{type(self).__name__} does not define selection_score()")

    # ----- scoring and figures ----------------------------------------------------------------
    def score(self, predictions: Predictions) -> dict[str, float]:
        """Every metric of this task kind."""
        raise NotImplementedError(f"{type(self).__name__} does not define score()")

    def figures(self, predictions: Predictions, label: str, what: str) -> list[TaskFigure]:
        """Figures the report draws for the best model of this task (none by default)."""
        return []

    def compare_figures(
        self, scored: Mapping[str, Mapping[str, float]], label: str
    ) -> list[TaskFigure]:
        """Figures comparing every backbone + protocol (name -> its metrics; none by default)."""
        return []


def task_from_description(description: Mapping[str, Any]) -> Task:
    """Rebuild a task from `Task.describe()` output (e.g. a stored result row)."""
    cls = TASKS.get(str(description["kind"]))
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in description.items() if k in names}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    task: Task = cls(**values)
    return task
