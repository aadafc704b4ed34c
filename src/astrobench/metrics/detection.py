"""Detection metrics through pycocotools (the COCO reference implementation), not re-written.

Boxes are ragged: values [M, 4] as (x0, y0, x1, y1) pixels, labels [M], (scores [M]) and
offsets [N + 1], image i owning rows offsets[i]:offsets[i + 1]. They become the two standard
COCO structures — the ground truth (`coco_ground_truth`, the layout of instances_*.json) and the
results list (`coco_results`: image_id, category_id, bbox [x, y, w, h], score) — which any COCO
tool reads. Category id = label + 1; image id = the image's position (or the ids given).

Metrics (`coco_metrics`), from COCOeval's accumulated precision [T, R, K, A, M] and recall
[T, K, A, M] exactly as `COCOeval.summarize` averages them (-1 entries, classes without ground
truth, left out):
    AP (IoU 0.50:0.05:0.95), AP50, AP75, AP_small / AP_medium / AP_large (COCO's pixel areas),
    AR@1, AR@10, AR@100, AP_class_<name> per class, and AP@0.1 ... AP@0.9: AP at each IoU
    threshold of the sweep of seed 002 (Appendix C), from a second evaluation whose
    params.iouThrs is that grid (0.75 is not on it, so AP75 comes from the first).
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
SWEEP_IOU_THRESHOLDS = np.round(np.linspace(0.1, 0.9, 9), 2)
_AREAS = ("all", "small", "medium", "large")


@dataclass(frozen=True)
class RaggedBoxes:
    """Boxes of N images: boxes [M, 4] (x0, y0, x1, y1), labels [M], offsets [N + 1], and
    scores [M] for predictions (None for ground truth)."""

    boxes: np.ndarray
    labels: np.ndarray
    offsets: np.ndarray
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_boxes = len(np.asarray(self.boxes).reshape(-1, 4))
        if len(self.labels) != n_boxes or int(self.offsets[-1]) != n_boxes:
            raise ValueError(
                f"{n_boxes} boxes, {len(self.labels)} labels, offsets ending at "
                f"{int(self.offsets[-1])}: they must agree"
            )
        if self.scores is not None and len(self.scores) != n_boxes:
            raise ValueError(f"{n_boxes} boxes but {len(self.scores)} scores")

    @property
    def n_images(self) -> int:
        return len(self.offsets) - 1

    def image_of_rows(self) -> np.ndarray:
        """Image index of every box [M]."""
        return np.repeat(np.arange(self.n_images), np.diff(self.offsets))


def _xywh(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])  # [M, 4]


def _image_ids(n: int, image_ids: Sequence[int] | None) -> list[int]:
    return list(range(n)) if image_ids is None else [int(i) for i in image_ids]


def coco_ground_truth(
    truth: RaggedBoxes,
    image_size: tuple[int, int],
    class_names: Sequence[str],
    image_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The COCO ground-truth structure (images, annotations, categories) of `truth`."""
    ids = _image_ids(truth.n_images, image_ids)
    height, width = image_size
    xywh = _xywh(truth.boxes)
    rows = truth.image_of_rows()
    annotations = [
        {
            "id": row + 1,
            "image_id": ids[int(rows[row])],
            "category_id": int(truth.labels[row]) + 1,
            "bbox": [float(v) for v in xywh[row]],
            "area": float(xywh[row, 2] * xywh[row, 3]),
            "iscrowd": 0,
        }
        for row in range(len(xywh))
    ]
    return {
        "info": {"description": "astrobench detection ground truth"},
        "images": [{"id": i, "width": int(width), "height": int(height)} for i in ids],
        "annotations": annotations,
        "categories": [{"id": k + 1, "name": str(name)} for k, name in enumerate(class_names)],
    }


def coco_results(
    predictions: RaggedBoxes, image_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """The COCO results list (image_id, category_id, bbox [x, y, w, h], score)."""
    if predictions.scores is None:
        raise ValueError("predictions need scores")
    ids = _image_ids(predictions.n_images, image_ids)
    xywh = _xywh(predictions.boxes)
    rows = predictions.image_of_rows()
    return [
        {
            "image_id": ids[int(rows[row])],
            "category_id": int(predictions.labels[row]) + 1,
            "bbox": [float(v) for v in xywh[row]],
            "score": float(predictions.scores[row]),
        }
        for row in range(len(xywh))
    ]


def _evaluate(
    ground_truth: dict[str, Any], results: list[dict[str, Any]], iou_thresholds: np.ndarray
) -> dict[str, np.ndarray]:
    """COCOeval's accumulated precision [T, R, K, A, M] and recall [T, K, A, M]."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        gt = COCO()
        # pycocotools adds keys (area, id, ignore, ...) to the dicts it reads: give it copies
        gt.dataset = copy.deepcopy(ground_truth)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(results))
        evaluator = COCOeval(gt, dt, iouType="bbox")
        evaluator.params.iouThrs = np.asarray(iou_thresholds, dtype=np.float64)
        evaluator.evaluate()
        evaluator.accumulate()
    return evaluator.eval


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(valid.mean()) if valid.size else float("nan")


def coco_metrics(ground_truth: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, float]:
    """AP, AP50, AP75, AP by area, AR@1/10/100, AP per class and the IoU sweep (see module)."""
    names = {c["id"]: c["name"] for c in ground_truth["categories"]}
    if not results:  # nothing detected: no precision anywhere, nothing recalled
        return _empty_metrics(ground_truth, names)
    main = _evaluate(ground_truth, results, COCO_IOU_THRESHOLDS)
    precision, recall = main["precision"], main["recall"]  # [T, R, K, A, M], [T, K, A, M]
    metrics = {
        "AP": _mean_valid(precision[:, :, :, 0, -1]),
        "AP50": _mean_valid(precision[0, :, :, 0, -1]),
        "AP75": _mean_valid(precision[5, :, :, 0, -1]),
    }
    for a, area in enumerate(_AREAS[1:], start=1):
        metrics[f"AP_{area}"] = _mean_valid(precision[:, :, :, a, -1])
    for m, max_dets in enumerate((1, 10, 100)):
        metrics[f"AR@{max_dets}"] = _mean_valid(recall[:, :, 0, m])
    category_ids = sorted(names)
    for k, category in enumerate(category_ids):
        metrics[f"AP_class_{names[category]}"] = _mean_valid(precision[:, :, k, 0, -1])
    sweep = _evaluate(ground_truth, results, SWEEP_IOU_THRESHOLDS)["precision"]
    for t, threshold in enumerate(SWEEP_IOU_THRESHOLDS):
        metrics[f"AP@{threshold:.1f}"] = _mean_valid(sweep[t, :, :, 0, -1])
    return metrics


def _empty_metrics(ground_truth: dict[str, Any], names: dict[int, str]) -> dict[str, float]:
    present = {a["category_id"] for a in ground_truth["annotations"]}
    value = 0.0 if present else float("nan")
    keys = ["AP", "AP50", "AP75", *(f"AP_{a}" for a in _AREAS[1:]), "AR@1", "AR@10", "AR@100"]
    metrics = dict.fromkeys(keys, value)
    for category, name in sorted(names.items()):
        metrics[f"AP_class_{name}"] = 0.0 if category in present else float("nan")
    for threshold in SWEEP_IOU_THRESHOLDS:
        metrics[f"AP@{threshold:.1f}"] = value
    return metrics


def detection_metrics(
    truth: RaggedBoxes,
    predictions: RaggedBoxes,
    image_size: tuple[int, int],
    class_names: Sequence[str],
) -> dict[str, float]:
    """`coco_metrics` of ragged predictions against ragged ground truth of the same images."""
    if truth.n_images != predictions.n_images:
        raise ValueError(
            f"ground truth has {truth.n_images} images, predictions {predictions.n_images}"
        )
    return coco_metrics(
        coco_ground_truth(truth, image_size, class_names), coco_results(predictions)
    )
