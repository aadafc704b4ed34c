"""Figures of the detection task: AP vs IoU threshold curves and a grid of test fields with true
and predicted boxes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from astrobench.tasks.figures import to_png

if TYPE_CHECKING:
    from astrobench.tasks.predictions import Predictions

SWEEP = np.round(np.arange(1, 10) / 10, 1)
GRID_FIELDS = 8
MIN_SCORE = 0.5


def iou_sweep_figure(scored: Mapping[str, Mapping[str, float]], title: str) -> bytes:
    """AP at IoU 0.1 ... 0.9, one line per entry of `scored` (name -> metric dict)."""
    figure, axis = plt.subplots(figsize=(5.6, 3.6))
    for name, metrics in scored.items():
        values = [metrics.get(f"AP@{t:.1f}", np.nan) for t in SWEEP]
        axis.plot(SWEEP, values, marker="o", markersize=3, label=name)
    axis.set_xlabel("IoU threshold")
    axis.set_ylabel("AP")
    axis.set_ylim(0, 1)
    axis.set_xlim(0.05, 0.95)
    axis.grid(alpha=0.3)
    axis.set_title(title, fontsize=8)
    axis.legend(fontsize=6, loc="upper right")
    return to_png(figure)


def field_grid_figure(predictions: Predictions, class_names: Sequence[str], title: str) -> bytes:
    """The first test fields (RGB thumbnails in `extra["thumbnails"]`, [n, H, W, 3] uint8) with
    true boxes dashed and detections of score >= MIN_SCORE solid, coloured by class."""
    from astrobench.data.show import box_legend, draw_boxes

    thumbnails = predictions.extra["thumbnails"]
    count = min(GRID_FIELDS, len(thumbnails))
    columns = min(4, count) or 1
    rows = max(1, int(np.ceil(count / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.3 * rows + 0.4))
    axes = np.atleast_1d(axes).ravel()
    ragged = predictions.ragged
    for i, axis in enumerate(axes):
        axis.set_xticks([])
        axis.set_yticks([])
        if i >= count:
            axis.axis("off")
            continue
        axis.imshow(thumbnails[i], origin="lower")
        draw_boxes(axis, ragged["true_boxes"].row(i), ragged["true_labels"].row(i), "--")
        keep = ragged["scores"].row(i) >= MIN_SCORE
        draw_boxes(axis, ragged["boxes"].row(i)[keep], ragged["labels"].row(i)[keep])
    box_legend(figure, list(class_names))
    figure.suptitle(title, fontsize=8)
    return to_png(figure)
