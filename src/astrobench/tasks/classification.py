"""Classification: one integer column (`label` by default), one class per object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.errors import ConfigError
from astrobench.registry import register_task
from astrobench.tasks.base import ClassOutput, Task, TaskFigure

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.tasks.predictions import Predictions

MAX_CLASSES = 100  # an integer column with more distinct values is read as a regression target


@register_task("classification")
@dataclass(frozen=True)
class ClassificationTask(Task):
    """Predict a class; scored by accuracy, balanced accuracy, F1 (macro, weighted, per class)."""

    kind: ClassVar[str] = "classification"
    lower_is_better: ClassVar[frozenset[str]] = frozenset({"log_loss"})
    default_headline: ClassVar[str] = "accuracy"
    default_interval_metrics: ClassVar[tuple[str, ...]] = ("accuracy", "f1_macro")
    default_table_metrics: ClassVar[tuple[str, ...]] = ("f1_macro", "balanced_accuracy")

    n_classes: int = 0
    class_names: tuple[str, ...] | None = None

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        if len(columns) != 1:
            return 0
        if columns[0] == fmt.LABEL:
            return 30
        values = cutouts.column(columns[0])
        few = values.dtype.kind in "iub" and np.unique(values).size <= MAX_CLASSES
        return 10 if few else 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> ClassificationTask:
        if len(columns) != 1:
            raise ConfigError(
                f"a classification target is one column, got {','.join(columns)}",
                "name one integer column, e.g. --target label",
            )
        values = cutouts.column(columns[0])
        if values.dtype.kind not in "iub":
            raise ConfigError(
                f"column {columns[0]!r} holds {values.dtype} values, not class indices",
                "classify an integer column, or use --task regression",
            )
        labelled = values[values != fmt.NO_LABEL]
        n_classes = int(labelled.max()) + 1 if labelled.size else 0
        names = cutouts.label_names if columns[0] == fmt.LABEL else None
        if names is not None:
            n_classes = max(n_classes, len(names))
        return cls(
            columns, n_classes=n_classes, class_names=tuple(names) if names else None, **options
        )

    @property
    def output(self) -> ClassOutput:
        return ClassOutput(self.n_classes, self.class_names)

    def class_name(self, label: int) -> str:
        names = self.class_names or ()
        return names[label] if 0 <= label < len(names) else str(int(label))

    def read_targets(self, cutouts: CutoutFile) -> np.ndarray:
        return np.asarray(cutouts.column(self.columns[0])).astype(np.int64)

    def labelled_mask(self, targets: np.ndarray) -> np.ndarray:
        return np.asarray(targets) != fmt.NO_LABEL

    def strata(self, targets: np.ndarray) -> np.ndarray:
        return np.asarray(targets, dtype=np.int64)

    def make_loss(self, train_targets: np.ndarray, settings: Mapping[str, Any]) -> Any:
        from astrobench.models.heads import ClassificationLoss, balanced_class_weights

        weights = settings.get("class_weights")
        if weights == "balanced":
            weights = balanced_class_weights(train_targets, self.n_classes)
        return ClassificationLoss(weights, float(settings.get("label_smoothing", 0.0)))

    def decode(self, outputs: np.ndarray, loss: Any) -> tuple[np.ndarray, np.ndarray | None]:
        logits = np.asarray(outputs, dtype=np.float64)  # [n, C]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return probabilities.argmax(axis=1), probabilities

    def selection_score(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.mean(np.asarray(y_pred) == np.asarray(y_true), axis=-1)

    def score(self, predictions: Predictions) -> dict[str, float]:
        from astrobench.metrics import classification

        y_true, y_pred = predictions.y_true, predictions.y_pred
        present = np.union1d(np.asarray(y_true), np.asarray(y_pred)).astype(np.int64)
        scores = {
            "accuracy": classification.accuracy(y_true, y_pred),
            "balanced_accuracy": classification.balanced_accuracy(y_true, y_pred),
            "f1_macro": classification.f1_macro(y_true, y_pred),
            "f1_weighted": classification.f1_weighted(y_true, y_pred),
            "precision_macro": classification.precision_macro(y_true, y_pred),
            "recall_macro": classification.recall_macro(y_true, y_pred),
        }
        per_class = classification.per_class_f1(y_true, y_pred, present)
        for label, f1 in zip(present, per_class, strict=True):
            scores[f"f1/{self.class_name(int(label))}"] = float(f1)
        if predictions.probabilities is not None:
            scores["log_loss"] = classification.log_loss(y_true, predictions.probabilities)
        return scores

    def figures(self, predictions: Predictions, label: str, what: str) -> list[TaskFigure]:
        from astrobench.metrics.classification import confusion_matrix
        from astrobench.tasks.figures import confusion_matrix_figure

        y_true, y_pred = predictions.y_true, predictions.y_pred
        n = max(int(max(y_true.max(), y_pred.max())) + 1, self.n_classes)
        names = [self.class_name(i) for i in range(n)]
        confusion = confusion_matrix(y_true, y_pred, np.arange(n))
        caption = f"{label}: confusion matrix of the best model ({what})"
        png = confusion_matrix_figure(confusion, names, caption)
        return [TaskFigure(caption, png, f"confusion_{label}")]
