"""The detection task kind: resolved from `boxes`, image-level bootstrap, scores ragged boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.errors import DataFormatError, MissingColumnError
from astrobench.tasks.predictions import Predictions, Ragged
from astrobench.tasks.resolve import resolve_task


def _file(tmp_path: Path, with_boxes: bool = True) -> Path:
    boxes = [
        np.array([[1, 1, 5, 5]], np.float32),
        np.array([[2, 2, 8, 9], [0, 0, 3, 3]], np.float32),
    ]
    extra = (
        {"boxes": boxes, "box_labels": [np.array([0]), np.array([1, 0])],
         "box_label_names": ["galaxy", "star"]}
        if with_boxes else {}
    )  # fmt: skip
    return write_cutouts(
        tmp_path / "f.h5",
        np.zeros((2, 1, 12, 16), np.float32),
        {"object_id": np.arange(2), "label": np.array([0, 1])},
        bands=["r"],
        pixel_scale_arcsec=0.262,
        **extra,
    )


def test_boxes_resolve_to_detection_and_score_ragged_predictions(tmp_path: Path) -> None:
    with CutoutFile(_file(tmp_path)) as cutouts:
        task = resolve_task(cutouts, "boxes")
        assert task.kind == "detection" and task.bootstrap_unit == "image"
        assert task.class_names == ("galaxy", "star") and task.image_size == (12, 16)
        assert task.read_targets(cutouts).tolist() == [1.0, 2.0]
        assert resolve_task(cutouts, "label").kind == "classification"
    offsets = np.array([0, 1, 3])
    true_boxes = np.array([[1, 1, 5, 5], [2, 2, 8, 9], [0, 0, 3, 3]], np.float32)
    labels = np.array([0, 1, 0])
    predictions = Predictions(
        np.array([1.0, 2.0]),
        np.array([1.0, 2.0]),
        ragged={
            "true_boxes": Ragged(true_boxes, offsets),
            "true_labels": Ragged(labels, offsets),
            "boxes": Ragged(true_boxes, offsets),
            "labels": Ragged(np.array([0, 0, 0]), offsets),  # the star called a galaxy
            "scores": Ragged(np.array([0.9, 0.8, 0.7]), offsets),
        },
    )
    scores = task.score(predictions)
    # galaxy calls by score: right, wrong (the star), right -> precision 1, 1/2, 2/3 at recall
    # 1/2, 1/2, 1; interpolated over COCO's 101 recall points: (51 x 1 + 50 x 2/3) / 101
    assert scores["AP_class_galaxy"] == pytest.approx((51 + 50 * 2 / 3) / 101)
    assert scores["AP_class_star"] == pytest.approx(0.0)
    resampled = task.score(predictions.take(np.array([0, 0])))  # image 0 twice: all right
    assert resampled["AP_class_galaxy"] == pytest.approx(1.0)
    figures = task.compare_figures({"a": scores, "b": resampled}, "fields")
    assert figures[0].png[:4] == b"\x89PNG"


def test_detection_needs_boxes(tmp_path: Path) -> None:
    with CutoutFile(_file(tmp_path, with_boxes=False)) as cutouts:
        with pytest.raises(DataFormatError, match="has no /boxes"):
            resolve_task(cutouts, "boxes", kind="detection")
        with pytest.raises(MissingColumnError, match="no catalog column 'boxes'"):
            resolve_task(cutouts, "boxes")


def test_pooled_feature_protocols_refuse_detection(tmp_path: Path) -> None:
    from astrobench.errors import ConfigError
    from astrobench.protocols.base import ProtocolRequest
    from astrobench.registry import PROTOCOLS

    path = _file(tmp_path)
    with CutoutFile(path) as cutouts:
        task = resolve_task(cutouts, "boxes")
    request = ProtocolRequest(backbone="timm:test_resnet?pretrained=false", data=path, task=task)
    with pytest.raises(ConfigError, match="detection tasks are not served by heads"):
        PROTOCOLS.get("knn")(request)


def test_a_container_without_boxes_gives_empty_ragged_boxes_of_its_length() -> None:
    from astrobench.tasks.detection import ragged_boxes

    truth, predicted = ragged_boxes(Predictions(np.zeros(3), np.zeros(3)))
    for part in (truth, predicted):
        assert part.boxes.shape == (0, 4)
        assert part.labels.shape == (0,) and part.labels.dtype == np.int64
        assert part.offsets.tolist() == [0, 0, 0, 0] and part.offsets.dtype == np.int64
    assert truth.scores is None
    assert predicted.scores is not None and predicted.scores.shape == (0,)


def test_the_comparison_figure_is_captioned_titled_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from astrobench.tasks import detection_figures

    titles: list[str] = []

    def recording(scored: object, title: str) -> bytes:
        titles.append(title)
        return b"png"

    monkeypatch.setattr(detection_figures, "iou_sweep_figure", recording)
    with CutoutFile(_file(tmp_path)) as cutouts:
        task = resolve_task(cutouts, "boxes")
    (figure,) = task.compare_figures({"a": {"AP@0.5": 0.3}}, "fields")
    caption = "fields: AP vs IoU threshold (0.1-0.9) per backbone and protocol"
    assert (figure.caption, figure.png, figure.slug) == (caption, b"png", "iou_curves_fields")
    assert titles == [caption]


def test_from_file_refusals_and_what_it_builds(tmp_path: Path) -> None:
    import h5py

    from astrobench.errors import ConfigError
    from astrobench.tasks.detection import DetectionTask

    path = _file(tmp_path)
    with CutoutFile(path) as cutouts:
        with pytest.raises(ConfigError, match="a detection target is 'boxes'") as error:
            DetectionTask.from_file(cutouts, ("label", "z"), {})
        assert error.value.one_line() == (
            "a detection target is 'boxes', got label,z (hint: use --target boxes)"
        )
        task = DetectionTask.from_file(cutouts, ("boxes",), {"headline": "AP50"})
        assert task.columns == ("boxes",) and task.headline == "AP50"
    with h5py.File(path, "r+") as handle:
        del handle["box_labels"].attrs["label_names"]
    with CutoutFile(path) as cutouts:
        with pytest.raises(DataFormatError, match="no label_names") as error:
            DetectionTask.from_file(cutouts, ("boxes",), {})
        assert error.value.one_line() == (
            f"{path}: /box_labels has no label_names (hint: name the box classes)"
        )


def test_strata_cap_the_box_count_at_eight_as_integers(tmp_path: Path) -> None:
    with CutoutFile(_file(tmp_path)) as cutouts:
        task = resolve_task(cutouts, "boxes")
    strata = task.strata(np.array([0.0, 3.0, 8.0, 9.0, 40.0]))
    assert strata.tolist() == [0, 3, 8, 8, 8] and strata.dtype == np.int64


def test_per_model_figures_sweep_iou_and_draw_fields_only_with_thumbnails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from astrobench.errors import ConfigError
    from astrobench.tasks import detection_figures

    calls: list[tuple[str, object]] = []

    def sweep(scored: dict[str, dict[str, float]], title: str) -> bytes:
        calls.append(("sweep", (sorted(scored), title)))
        return b"sweep"

    def grid(predictions: Predictions, class_names: tuple[str, ...], title: str) -> bytes:
        calls.append(("grid", (predictions, class_names, title)))
        return b"grid"

    monkeypatch.setattr(detection_figures, "iou_sweep_figure", sweep)
    monkeypatch.setattr(detection_figures, "field_grid_figure", grid)
    with CutoutFile(_file(tmp_path)) as cutouts:
        task = resolve_task(cutouts, "boxes")
    with pytest.raises(ConfigError, match="trained by the detect protocol") as error:
        task.make_loss(np.zeros(2), {})
    assert error.value.one_line() == (
        "detection is trained by the detect protocol, not by a head on pooled features "
        "(hint: use protocol detect (settings: mode frozen | finetune))"
    )
    predictions = Predictions(np.zeros(2), np.zeros(2))
    (only,) = task.figures(predictions, "f", "test")
    caption = "f: AP vs IoU threshold of the best model (test)"
    assert (only.caption, only.png, only.slug) == (caption, b"sweep", "iou_sweep_f")
    assert calls == [("sweep", (["test"], caption))]
    calls.clear()
    with_thumbnails = Predictions(np.zeros(2), np.zeros(2), extra={"thumbnails": np.zeros(2)})
    _, fields = task.figures(with_thumbnails, "f", "test")
    title = "f: test fields, true boxes (dashed) and detections with score >= 0.5"
    assert (fields.caption, fields.png, fields.slug) == (title, b"grid", "fields_f")
    assert calls[1] == ("grid", (with_thumbnails, ("galaxy", "star"), title))
