"""COCO metrics through pycocotools on cases computed by hand."""

from __future__ import annotations

import warnings

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


def test_ragged_boxes_name_what_disagrees() -> None:
    boxes, offsets = np.zeros((3, 4)), np.array([0, 1, 3])
    with pytest.raises(ValueError, match="3 boxes, 2 labels, offsets ending at 3: they must agree"):
        RaggedBoxes(boxes, np.zeros(2, np.int64), offsets)  # offsets agree, labels do not
    with pytest.raises(ValueError, match="3 boxes, 3 labels, offsets ending at 2: they must"):
        RaggedBoxes(boxes, np.zeros(3, np.int64), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="3 boxes but 2 scores"):
        RaggedBoxes(boxes, np.zeros(3, np.int64), offsets, np.ones(2))
    with pytest.raises(ValueError, match=r"^predictions need scores$"):
        coco_results(RaggedBoxes(boxes, np.zeros(3, np.int64), offsets))
    one = _ragged([[[0, 0, 4, 4]]], scores=[0.5])
    with pytest.raises(ValueError, match="ground truth has 2 images, predictions 1"):
        detection_metrics(_ragged([[[0, 0, 4, 4]], []]), one, SIZE, ["galaxy"])


def test_coco_structures_are_complete_and_exact_in_float64() -> None:
    truth = _ragged([[[0.1, 0.2, 100.3, 60.7]]])  # float32 corners
    gt = coco_ground_truth(truth, (48, 64), ["galaxy"], image_ids=[7])
    assert gt["info"] == {"description": "astrobench detection ground truth"}
    assert gt["images"] == [{"id": 7, "width": 64, "height": 48}]
    x0, y0, x1, y1 = truth.boxes.astype(np.float64)[0]
    assert gt["annotations"][0]["bbox"] == [x0, y0, x1 - x0, y1 - y0]  # float32 would round
    results = coco_results(_ragged([[[1, 1, 4, 5]], [[2, 2, 3, 3]]], scores=[0.5, 0.4]), [10, 11])
    assert [r["image_id"] for r in results] == [10, 11]


def _random_case(seed: int) -> tuple[RaggedBoxes, RaggedBoxes]:
    """3 images of 160 px: 14 objects each (sides 4-70 px, one 100 px: every COCO area), two
    classes with ground truth and a third predicted only; jittered predictions plus false ones,
    more than 10 per image so maxDets 10 and 100 differ."""
    rng = np.random.default_rng(seed)
    truth, pred, labels, pred_labels, scores = [], [], [], [], []
    for image in range(3):
        side = rng.uniform(4, 70, 14)
        side[0] = 100.0 if image == 0 else side[0]
        x0, y0 = rng.uniform(0, 150 - side), rng.uniform(0, 150 - side)
        boxes = np.stack([x0, y0, x0 + side, y0 + side], axis=1)
        jitter = rng.normal(0, 0.12, (14, 4)) * side[:, None]
        fakes = rng.uniform(0, 120, (3, 2))
        fakes = np.concatenate([fakes, fakes + rng.uniform(5, 40, (3, 2))], axis=1)
        truth.append(boxes.tolist())
        pred.append((boxes + jitter).tolist() + fakes.tolist())
        labels += rng.integers(0, 2, 14).tolist()
        pred_labels += [*labels[-14:], 0, 1, 2]
        scores += rng.uniform(0, 1, 17).tolist()
    return _ragged(truth, labels=labels), _ragged(pred, labels=pred_labels, scores=scores)


def _summarize(gt: dict, results: list, **params: object) -> np.ndarray:
    """COCOeval.summarize's 12 stats (the reference averaging) with `params` set."""
    import contextlib
    import copy
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        evaluator = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), iouType="bbox")
        for name, value in params.items():
            setattr(evaluator.params, name, value)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats


def test_metrics_equal_cocoeval_summarize_on_a_random_case() -> None:
    truth, predictions = _random_case(2)
    names = ["galaxy", "star", "artefact"]
    gt, results = coco_ground_truth(truth, (160, 160), names), coco_results(predictions)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty slice (artefact has no truth)
        metrics = detection_metrics(truth, predictions, (160, 160), names)
    stats = _summarize(gt, results)
    keys = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AR@1", "AR@10", "AR@100"]
    assert [metrics[k] for k in keys] == pytest.approx(stats[:9].tolist(), abs=1e-12)
    assert len({round(v, 6) for v in stats[:9]}) == 9  # the case separates every entry
    for k, name in enumerate(names[:2]):
        expected = _summarize(gt, results, catIds=[k + 1])[0]
        assert metrics[f"AP_class_{name}"] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(metrics["AP_class_artefact"])
    for t in np.arange(1, 10) / 10:
        expected = _summarize(gt, results, iouThrs=np.array([t]))[0]
        assert metrics[f"AP@{t:.1f}"] == pytest.approx(expected, abs=1e-12), t


def test_no_detections_give_every_key_zero_or_nan() -> None:
    truth, predictions = _random_case(1)
    names = ["galaxy", "star", "artefact"]
    full = detection_metrics(truth, predictions, SIZE, names)
    empty = RaggedBoxes(np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(4, np.int64), np.zeros(0))
    nothing = detection_metrics(truth, empty, SIZE, names)
    assert list(nothing) == list(full)
    assert all(nothing[k] == 0.0 for k in nothing if k != "AP_class_artefact")
    assert np.isnan(nothing["AP_class_artefact"])  # no truth for it: undefined, not 0
    no_truth = detection_metrics(_ragged([[], [], []]), empty, SIZE, names)
    assert list(no_truth) == list(full) and all(np.isnan(v) for v in no_truth.values())


def test_twelve_exact_detections_count_beyond_the_tenth() -> None:
    """12 objects found exactly (scores descending): AP = 1 at maxDets 100 for every entry,
    while the first 10 detections recall only 10/12 (AR@10)."""
    boxes = [[15 * i, 15 * j, 15 * i + 10, 15 * j + 10] for i in range(4) for j in range(3)]
    truth = _ragged([boxes])
    predictions = _ragged([boxes], scores=np.linspace(0.9, 0.2, 12))
    metrics = detection_metrics(truth, predictions, SIZE, ["galaxy"])
    for key in ("AP", "AP50", "AP75", "AP_small", "AP_class_galaxy", "AP@0.5", "AR@100"):
        assert metrics[key] == pytest.approx(1.0), key
    assert metrics["AR@10"] == pytest.approx(10 / 12)
