"""COCO metrics through pycocotools on cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.metrics.detection import (
    RaggedBoxes,
    coco_ground_truth,
    coco_results,
    detection_metrics,
)

SIZE = (64, 64)


def _ragged(per_image: list[list[list[float]]], labels=None, scores=None) -> RaggedBoxes:
    counts = [len(b) for b in per_image]
    boxes = np.array([b for image in per_image for b in image], dtype=np.float32).reshape(-1, 4)
    labels = np.zeros(len(boxes), np.int64) if labels is None else np.asarray(labels)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return RaggedBoxes(boxes, labels, offsets, None if scores is None else np.asarray(scores))


def test_perfect_predictions_score_one_everywhere() -> None:
    truth = _ragged([[[1, 1, 11, 9], [20, 20, 40, 30]], [[5, 5, 15, 15]]], labels=[0, 1, 0])
    predictions = RaggedBoxes(truth.boxes, truth.labels, truth.offsets, np.array([0.9, 0.8, 0.7]))
    metrics = detection_metrics(truth, predictions, SIZE, ["galaxy", "star"])
    for key in ("AP", "AP50", "AP75", "AR@100", "AP_class_galaxy", "AP_class_star", "AP@0.9"):
        assert metrics[key] == pytest.approx(1.0), key


def test_a_shifted_box_drops_out_at_its_iou() -> None:
    """GT [0, 0, 10, 10], prediction [2, 0, 12, 10]: IoU = 80 / 120 = 2/3. AP is 1 at every
    threshold up to 0.6 and 0 from 0.7; AP50 = 1, AP75 = 0; AP over 0.50:0.05:0.95 = 4/10."""
    truth = _ragged([[[0, 0, 10, 10]]])
    predictions = _ragged([[[2, 0, 12, 10]]], scores=[0.9])
    metrics = detection_metrics(truth, predictions, SIZE, ["galaxy"])
    sweep = [metrics[f"AP@{t:.1f}"] for t in np.arange(1, 10) / 10]
    assert sweep == pytest.approx([1.0] * 6 + [0.0] * 3)
    assert (metrics["AP50"], metrics["AP75"]) == pytest.approx((1.0, 0.0))
    assert metrics["AP"] == pytest.approx(0.4)


def test_a_confident_false_positive_costs_the_interpolated_precision() -> None:
    """Scores 0.9 (false), 0.8 (true), 0.7 (true) for two objects: precision 0, 1/2, 2/3 at
    recall 0, 1/2, 1; the interpolated precision is 2/3 at every recall, so AP50 = 2/3."""
    truth = _ragged([[[0, 0, 10, 10]], [[30, 30, 40, 40]]])
    predictions = _ragged(
        [[[50, 50, 60, 60], [0, 0, 10, 10]], [[30, 30, 40, 40]]], scores=[0.9, 0.8, 0.7]
    )
    metrics = detection_metrics(truth, predictions, SIZE, ["galaxy"])
    assert metrics["AP50"] == pytest.approx(2 / 3)
    assert metrics["AR@1"] == pytest.approx(0.5)  # one detection per image: only image 2's
    assert metrics["AR@100"] == pytest.approx(1.0)


def test_per_class_ap_and_no_detections() -> None:
    truth = _ragged([[[0, 0, 10, 10], [20, 20, 30, 30]]], labels=[0, 1])
    predictions = _ragged([[[0, 0, 10, 10], [20, 20, 30, 30]]], labels=[0, 0], scores=[0.9, 0.8])
    metrics = detection_metrics(truth, predictions, SIZE, ["lens", "galaxy"])
    assert metrics["AP_class_lens"] == pytest.approx(1.0)
    assert metrics["AP_class_galaxy"] == pytest.approx(0.0)
    assert metrics["AP50"] == pytest.approx(0.5)
    empty = RaggedBoxes(np.zeros((0, 4)), np.zeros(0, np.int64), np.array([0, 0]), np.zeros(0))
    nothing = detection_metrics(truth, empty, SIZE, ["lens", "galaxy"])
    assert nothing["AP50"] == 0.0 and nothing["AR@100"] == 0.0


def test_coco_structures_use_xywh_and_one_based_categories() -> None:
    truth = _ragged([[], [[2, 3, 12, 8]]], labels=[1])
    gt = coco_ground_truth(truth, SIZE, ["a", "b"], image_ids=[10, 11])
    assert gt["annotations"] == [
        {
            "id": 1,
            "image_id": 11,
            "category_id": 2,
            "bbox": [2.0, 3.0, 10.0, 5.0],
            "area": 50.0,
            "iscrowd": 0,
        }
    ]
    assert [c["id"] for c in gt["categories"]] == [1, 2]
    results = coco_results(_ragged([[[1, 1, 4, 5]], []], labels=[0], scores=[0.5]))
    assert results == [
        {"image_id": 0, "category_id": 1, "bbox": [1.0, 1.0, 3.0, 4.0], "score": 0.5}
    ]


def test_scoring_leaves_the_coco_structures_as_they_were() -> None:
    """pycocotools writes keys into the dicts it reads; the stored files must stay pure."""
    from astrobench.metrics.detection import coco_metrics

    truth = _ragged([[[0, 0, 10, 10]]])
    gt = coco_ground_truth(truth, SIZE, ["galaxy"])
    results = coco_results(_ragged([[[0, 0, 10, 10]]], scores=[0.5]))
    before = (repr(gt), repr(results))
    coco_metrics(gt, results)
    assert (repr(gt), repr(results)) == before
