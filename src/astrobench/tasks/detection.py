"""Detection: boxes of several classes per image (/boxes, /box_labels, /box_offsets).

The target is written `boxes`. Predictions are ragged, one row of boxes per test image:
`ragged["boxes"]` (x0, y0, x1, y1 [M, 4]), `ragged["labels"]`, `ragged["scores"]` and the
truth `ragged["true_boxes"]`, `ragged["true_labels"]`; `y_true` / `y_pred` hold the true and
predicted box counts per image. The bootstrap unit is the image (all boxes of a resampled image
come with it). Scores are the COCO metrics of metrics.detection (pycocotools); the headline is
AP50. Detectors are trained by the `detect` protocol, not by a linear head, so the head, loss
and decoding of other kinds do not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.errors import ConfigError, DataFormatError
from astrobench.registry import register_task
from astrobench.tasks.base import Task, TaskFigure

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.metrics.detection import RaggedBoxes
    from astrobench.tasks.predictions import Predictions

BOXES_TARGET = "boxes"


@dataclass(frozen=True)
class BoxOutput:
    """A detector predicts boxes of `n_classes` classes (with scores) per image."""

    n_classes: int
    class_names: tuple[str, ...] = ()


@register_task("detection")
@dataclass(frozen=True)
class DetectionTask(Task):
    """Detect the boxes of a file; scored by COCO AP, AP50, AP75, AR and the IoU sweep."""

    kind: ClassVar[str] = "detection"
    pooled_heads: ClassVar[bool] = False  # boxes need a detector (protocol `detect`)
    bootstrap_unit: ClassVar[str] = "image"
    default_headline: ClassVar[str] = "AP50"
    default_interval_metrics: ClassVar[tuple[str, ...]] = ("AP50", "AP")
    default_table_metrics: ClassVar[tuple[str, ...]] = ("AP", "AR@100")

    class_names: tuple[str, ...] = ()
    image_size: tuple[int, int] = (0, 0)  # (H, W), written into the COCO ground truth

    @classmethod
    def required_columns(cls, columns: tuple[str, ...]) -> tuple[str, ...]:
        return ()  # boxes live in /boxes, not in the catalog

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        return 50 if columns == (BOXES_TARGET,) and cutouts.has_boxes else 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> DetectionTask:
        if columns != (BOXES_TARGET,):
            raise ConfigError(
                f"a detection target is 'boxes', got {','.join(columns)}", "use --target boxes"
            )
        names = cutouts.box_table().label_names  # DataFormatError when the file has no boxes
        if not names:
            raise DataFormatError(
                f"{cutouts.path}: /box_labels has no label_names", "name the box classes"
            )
        _, height, width = cutouts.image_shape
        return cls(columns, class_names=tuple(names), image_size=(height, width), **options)

    @property
    def output(self) -> BoxOutput:  # type: ignore[override]
        return BoxOutput(len(self.class_names), self.class_names)

    def read_targets(self, cutouts: CutoutFile) -> np.ndarray:
        """Boxes per image [N] (what a split is stratified on)."""
        return cutouts.box_table().counts().astype(np.float64)

    def strata(self, targets: np.ndarray) -> np.ndarray:
        return np.minimum(np.asarray(targets, dtype=np.int64), 8)

    def make_loss(self, train_targets: np.ndarray, settings: Mapping[str, Any]) -> Any:
        raise ConfigError(
            "detection is trained by the detect protocol, not by a head on pooled features",
            "use protocol detect (settings: mode frozen | finetune)",
        )

    def score(self, predictions: Predictions) -> dict[str, float]:
        from astrobench.metrics.detection import detection_metrics

        truth, predicted = ragged_boxes(predictions)
        return detection_metrics(truth, predicted, self.image_size, self.class_names)

    def figures(self, predictions: Predictions, label: str, what: str) -> list[TaskFigure]:
        from astrobench.tasks.detection_figures import field_grid_figure, iou_sweep_figure

        caption = f"{label}: AP vs IoU threshold of the best model ({what})"
        out = [TaskFigure(caption, iou_sweep_figure({what: self.score(predictions)}, caption),
                          f"iou_sweep_{label}")]  # fmt: skip
        if "thumbnails" in predictions.extra:
            grid = f"{label}: test fields, true boxes (dashed) and detections with score >= 0.5"
            png = field_grid_figure(predictions, self.class_names, grid)
            out.append(TaskFigure(grid, png, f"fields_{label}"))
        return out

    def compare_figures(
        self, scored: Mapping[str, Mapping[str, float]], label: str
    ) -> list[TaskFigure]:
        """AP vs IoU threshold, one curve per backbone + protocol (their metric dicts)."""
        from astrobench.tasks.detection_figures import iou_sweep_figure

        caption = f"{label}: AP vs IoU threshold (0.1-0.9) per backbone and protocol"
        return [TaskFigure(caption, iou_sweep_figure(scored, caption), f"iou_curves_{label}")]


def ragged_boxes(predictions: Predictions) -> tuple[RaggedBoxes, RaggedBoxes]:
    """(truth, predicted) RaggedBoxes of a detection Predictions container."""
    from astrobench.metrics.detection import RaggedBoxes

    n = len(predictions)
    ragged = predictions.ragged
    if "true_boxes" not in ragged:  # a container without boxes (e.g. a headline check)
        empty = np.zeros(n + 1, np.int64)
        nothing = RaggedBoxes(np.zeros((0, 4)), np.zeros(0, np.int64), empty)
        return nothing, RaggedBoxes(nothing.boxes, nothing.labels, empty, np.zeros(0))
    truth = RaggedBoxes(
        ragged["true_boxes"].values, ragged["true_labels"].values, ragged["true_boxes"].offsets
    )
    predicted = RaggedBoxes(
        ragged["boxes"].values,
        ragged["labels"].values,
        ragged["boxes"].offsets,
        ragged["scores"].values,
    )
    return truth, predicted
