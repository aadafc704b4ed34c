"""Synthetic fields with boxes: determinism, the box rule on the written file, lenses, and the
box checks of writer, reader and `data validate`."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.synth.fields import synthesize_fields
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import DataFormatError, UnknownNameError


def _datasets(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[()].tobytes()) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return out


@pytest.fixture(scope="module")
def lenses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fields") / "lenses.h5"
    return synthesize_fields("lenses-desi-ls", 6, 2, out, workers=1, size=64, progress=False)


def test_fields_are_byte_identical_for_any_worker_count(tmp_path: Path, lenses: Path) -> None:
    two = synthesize_fields(
        "lenses-desi-ls", 6, 2, tmp_path / "w2.h5", workers=2, size=64, progress=False
    )
    a, b = _datasets(lenses), _datasets(two)
    assert {"images", "boxes", "box_labels", "box_offsets"} <= a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a), [k for k in a if a[k] != b[k]]


def test_lens_file_layout_labels_and_boxes(lenses: Path) -> None:
    with CutoutFile(lenses) as f:
        assert f.bands == ["g", "r", "z"] and f.image_shape == (3, 64, 64)
        assert f.box_label_names == ["galaxy", "star", "lens"]
        assert f.label_names == ["no lens", "lens"]
        table = f.box_table()
        counts = table.counts()
        for k, name in enumerate(f.box_label_names):
            per_image = [int(np.sum(table.of_image(i)[1] == k)) for i in range(len(f))]
            assert per_image == f.column(f"n_{name}").tolist()
        assert (f.column("label") == (f.column("n_lens") > 0)).all()
        assert counts.sum() == len(table.boxes) > 0
        assert (table.boxes[:, 2] > table.boxes[:, 0]).all()
        assert (table.boxes[:, [0, 1]] >= 0).all() and (table.boxes[:, [2, 3]] <= 64).all()
        # Boxes are whole pixels (isophote bounding boxes)
        assert np.array_equal(table.boxes, np.round(table.boxes))
        lensed = f.column("theta_e_arcsec")[f.column("label") == 1]
        assert ((lensed > 0.8) & (lensed < 4.0)).all()
    assert "valid boxes" in validate_cutout_file(lenses).summary()
    from astrobench.data.info import describe_cutouts

    with CutoutFile(lenses) as f:
        per_class = {n: int(f.column(f"n_{n}").sum()) for n in ("galaxy", "star", "lens")}
    described = {e["name"]: e["count"] for e in describe_cutouts(lenses)["boxes"]}
    assert described == {k: v for k, v in per_class.items() if v}


def test_boxes_hold_the_light_of_their_sources(lenses: Path) -> None:
    """Inside the union of the boxes the r-band flux is far above the sky; outside it, the mean
    flux is a small fraction of the inside mean (a box rule that missed sources or boxed the
    wrong place fails this)."""
    with CutoutFile(lenses) as f:
        table = f.box_table()
        sky = f.attrs["sky_sigma_nanomaggy"][1]
        inside_means, outside_means = [], []
        for i in range(len(f)):
            image = f.read_image(i)[1]
            mask = np.zeros_like(image, dtype=bool)
            for x0, y0, x1, y1 in table.of_image(i)[0].astype(int):
                mask[y0:y1, x0:x1] = True
            if mask.any() and (~mask).any():
                inside_means.append(image[mask].mean())
                outside_means.append(image[~mask].mean())
        assert np.mean(inside_means) > 5 * sky
        assert np.mean(outside_means) < 0.1 * np.mean(inside_means)


def _write(path: Path, boxes: list[np.ndarray], labels: list[np.ndarray], names) -> Path:
    return write_cutouts(
        path,
        np.zeros((len(boxes), 1, 16, 16), np.float32),
        {"object_id": np.arange(len(boxes))},
        bands=["r"],
        pixel_scale_arcsec=0.262,
        boxes=boxes,
        box_labels=labels,
        box_label_names=names,
    )


@pytest.mark.parametrize(
    ("box", "label", "names", "message"),
    [
        ([5, 2, 3, 8], 0, ["galaxy"], "box 0 of object 1 .* has x1 <= x0"),
        ([1, 2, 17, 8], 0, ["galaxy"], "outside the 16x16 image"),
        ([1, 2, 3, 8], 1, ["galaxy"], "label 1 but only 1 box class names"),
        ([1, 2, 3, 8], 0, None, "label 0 but only 0 box class names"),
    ],
)
def test_writer_refuses_bad_boxes_and_leaves_nothing(
    tmp_path: Path, box: list[float], label: int, names, message: str
) -> None:
    boxes = [np.array([[0, 0, 4, 4]], np.float32), np.array([box], np.float32)]
    with pytest.raises(DataFormatError, match=message):
        _write(tmp_path / "bad.h5", boxes, [np.array([0]), np.array([label])], names)
    assert list(tmp_path.iterdir()) == []


def test_validate_finds_boxes_damaged_after_writing(tmp_path: Path, run_cli) -> None:
    path = _write(
        tmp_path / "f.h5",
        [np.zeros((0, 4), np.float32), np.array([[1, 1, 5, 5], [2, 2, 9, 9]], np.float32)],
        [np.zeros(0), np.array([0, 0])],
        ["galaxy"],
    )
    with h5py.File(path, "r+") as handle:
        handle["boxes"][1, 2] = 1.0  # x1 < x0 for the second box of object 1
    code, _, err = run_cli("data", "validate", path)
    assert code == 2 and err.count("\n") == 1
    assert "box 1 of object 1 (2.0, 2.0, 1.0, 9.0) has x1 <= x0" in err
    with h5py.File(path, "r+") as handle:
        handle["box_offsets"][1] = 5
    with pytest.raises(DataFormatError, match="do not partition 2 boxes among 2 images"):
        CutoutFile(path)


def test_unknown_field_preset_and_cli(tmp_path: Path, run_cli) -> None:
    with pytest.raises(UnknownNameError, match="unknown field preset 'fields-hsc'"):
        synthesize_fields("fields-hsc", 2, 0, tmp_path / "x.h5")
    out = tmp_path / "f.h5"
    code, text, err = run_cli(
        "data", "synth", "--preset", "fields-sdss", "--n", "2", "--size", "48", "--out", out
    )
    assert code == 0 and "fields with boxes" in text, err
    with CutoutFile(out) as f:
        assert f.bands == list("ugriz") and f.box_label_names == ["galaxy", "star"]
    code, _, err = run_cli("data", "show", out, "--per-class", "2", "--out", tmp_path / "s.png")
    assert code == 0 and (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG", err
