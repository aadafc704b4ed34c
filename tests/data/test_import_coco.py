"""`data import-coco` on a fake set in the exact COCO layout (tests/data/coco/generate.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile

_SPEC = importlib.util.spec_from_file_location(
    "coco_generate", Path(__file__).parent / "coco" / "generate.py"
)
assert _SPEC is not None and _SPEC.loader is not None
coco_generate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(coco_generate)


@pytest.mark.parametrize("fits", [False, True])
def test_import_matches_the_coco_annotations(tmp_path: Path, run_cli, fits: bool) -> None:
    annotations = coco_generate.generate(tmp_path / "set", n_images=4, fits=fits, seed=1)
    coco = json.loads(annotations.read_text())
    out = tmp_path / "c.h5"
    code, _, err = run_cli("data", "import-coco", tmp_path / "set", annotations, "--out", out)
    assert code == 0, err
    with CutoutFile(out) as f:
        assert len(f) == 4 and f.box_label_names == ["compact", "extended"]
        assert f.bands == (["band0"] if fits else ["grey"])
        assert f.column("object_id").tolist() == [100, 102, 104, 106]
        for i, record in enumerate(coco["images"]):
            anns = [a for a in coco["annotations"] if a["image_id"] == record["id"]]
            boxes, labels = f.read_boxes(i)
            expected = [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)]
            np.testing.assert_allclose(boxes, expected, atol=1e-4)
            assert labels.tolist() == [{3: 0, 7: 1}[a["category_id"]] for a in anns]
        if not fits:
            from PIL import Image

            raw = np.asarray(Image.open(tmp_path / "set" / "img_002.png"), dtype=np.float32)
            np.testing.assert_array_equal(f.read_image(2)[0], raw)
    code, text, _ = run_cli("data", "validate", out)
    assert code == 0 and "valid boxes" in text


def _damage(annotations: Path, change) -> None:
    coco = json.loads(annotations.read_text())
    change(coco)
    annotations.write_text(json.dumps(coco))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["images"][2].update(file_name="gone.png"), "gone.png: image listed"),
        (lambda c: c["annotations"][0]["bbox"].__setitem__(2, 99.0), "outside the 32x32 image"),
        (lambda c: c["annotations"][0]["bbox"].__setitem__(2, -3.0), "has x1 <= x0"),
        (lambda c: c.update(categories=[]), "no categories"),
        (lambda c: c["annotations"][0].update(category_id=42), "category 42, not in categories"),
    ],
)
def test_bad_coco_sets_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, run_cli, change, message: str
) -> None:
    annotations = coco_generate.generate(tmp_path / "set", n_images=4, seed=2)
    _damage(annotations, change)
    out = tmp_path / "out" / "c.h5"
    out.parent.mkdir()
    code, _, err = run_cli("data", "import-coco", tmp_path / "set", annotations, "--out", out)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert list(out.parent.iterdir()) == []
