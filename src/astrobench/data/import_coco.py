"""`astrobench data import-coco`: a COCO-format detection set into a cutout file with boxes.

COCO layout (Lin et al. 2014): one JSON with `images` ({id, file_name, width, height}),
`annotations` ({id, image_id, category_id, bbox: [x, y, w, h] in pixels, ...}) and
`categories` ({id, name}). Images are FITS (a 2-D image or a [C, H, W] cube) or PNG (grey or
RGB); all must share one size and band count. y is the array row of the image as read (for a
PNG, counted from the top, as COCO tools do). Boxes become (x0, y0, x1, y1) = (x, y, x + w,
y + h); categories become labels 0..K-1 in increasing category id, their names the box class
names, the original ids the root attribute `coco_category_ids`. Images are written in
increasing image id; `object_id` is the COCO image id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.data.boxes import EDGE_TOLERANCE_PX, check_boxes
from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.import_fits import FITS_SUFFIXES, read_fits_cutout
from astrobench.errors import DataFormatError

PNG_SUFFIXES = (".png",)
_PNG_BANDS = {1: ["grey"], 3: ["red", "green", "blue"]}


def read_coco(annotations: Path) -> dict[str, Any]:
    """The parsed COCO JSON, with its three required lists checked."""
    try:
        coco = json.loads(Path(annotations).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(
            f"{annotations}: not a readable COCO JSON file ({exc})",
            "give the annotations file of a COCO-format detection set",
        ) from exc
    if not isinstance(coco, dict):
        raise DataFormatError(f"{annotations}: a COCO file is a JSON object")
    for key in ("images", "annotations", "categories"):
        if not isinstance(coco.get(key), list):
            raise DataFormatError(f"{annotations}: no {key!r} list", "is this a COCO file?")
    if not coco["categories"]:
        raise DataFormatError(
            f"{annotations}: no categories", "a COCO detection file names its box classes"
        )
    return coco


def read_image(path: Path, bands: list[str] | None) -> np.ndarray:
    """One image as float32 [C, H, W] (FITS or PNG)."""
    if not path.is_file():
        raise DataFormatError(
            f"{path}: image listed in the annotations is missing",
            "give the folder that holds every file_name of the COCO file",
        )
    if path.name.lower().endswith(FITS_SUFFIXES):
        return read_fits_cutout(path, bands or ["band0"])
    if path.name.lower().endswith(PNG_SUFFIXES):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                mode = "L" if image.mode in ("L", "I", "I;16", "1") else "RGB"
                array = np.asarray(image.convert(mode), dtype=np.float32)
        except (OSError, UnidentifiedImageError) as exc:
            raise DataFormatError(f"{path}: not a readable PNG ({exc})") from exc
        return array[None] if array.ndim == 2 else np.moveaxis(array, -1, 0)  # [C, H, W]
    raise DataFormatError(f"{path}: not a FITS or PNG image", "COCO images must be FITS or PNG")


def _grouped_boxes(
    coco: dict[str, Any], image_ids: list[int], label_of: dict[int, int], where: str
) -> tuple[dict[int, list[list[float]]], dict[int, list[int]]]:
    boxes: dict[int, list[list[float]]] = {i: [] for i in image_ids}
    labels: dict[int, list[int]] = {i: [] for i in image_ids}
    for ann in coco["annotations"]:
        image_id, category = ann.get("image_id"), ann.get("category_id")
        bbox = ann.get("bbox")
        if image_id not in boxes:
            raise DataFormatError(
                f"{where}: annotation {ann.get('id')} names unknown image {image_id}"
            )
        if category not in label_of:
            raise DataFormatError(
                f"{where}: annotation {ann.get('id')} has category {category}, not in categories"
            )
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise DataFormatError(f"{where}: annotation {ann.get('id')} has no [x, y, w, h] bbox")
        x, y, w, h = (float(v) for v in bbox)
        boxes[image_id].append([x, y, x + w, y + h])
        labels[image_id].append(label_of[category])
    return boxes, labels


def import_coco(
    images_dir: str | os.PathLike[str],
    annotations: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    bands: list[str] | None = None,
    pixel_scale_arcsec: float = 1.0,
    survey: str = "custom",
    license: str = "unknown",
) -> Path:
    """Convert a COCO detection set into the cutout file `out` (atomically).

    Args:
        images_dir: folder holding the images named by `file_name`.
        annotations: the COCO JSON file.
        out: destination .h5 file.
        bands: band names, one per channel (default: band0.. for FITS, grey or red,green,blue
            for PNG).
        pixel_scale_arcsec: arcsec per pixel stored in the file.
        survey, license: provenance stored in the file.

    Returns:
        The path of the finished file.
    """
    where = str(annotations)
    coco = read_coco(Path(annotations))
    categories = sorted(coco["categories"], key=lambda c: int(c["id"]))
    label_of = {int(c["id"]): k for k, c in enumerate(categories)}
    records = sorted(coco["images"], key=lambda r: int(r["id"]))
    if not records:
        raise DataFormatError(f"{where}: no images")
    ids = [int(r["id"]) for r in records]
    boxes, labels = _grouped_boxes(coco, ids, label_of, where)
    folder = Path(images_dir)
    first = read_image(folder / records[0]["file_name"], bands)
    names = bands or _default_bands(records[0]["file_name"], first.shape[0])
    writer = CutoutWriter(
        out,
        bands=names,
        image_size=(first.shape[1], first.shape[2]),
        pixel_scale_arcsec=pixel_scale_arcsec,
        survey=survey,
        source=f"COCO import of {Path(annotations).name}",
        license=license,
        with_boxes=True,
        box_label_names=[str(c.get("name", c["id"])) for c in categories],
        attrs={"coco_category_ids": [int(c["id"]) for c in categories]},
    )
    with writer:
        for record in records:
            image = read_image(folder / record["file_name"], bands)
            if image.shape != first.shape:
                raise DataFormatError(
                    f"{record['file_name']}: shape {image.shape} differs from {first.shape}",
                    "a cutout file holds images of one size and band count; crop or pad first",
                )
            box = _clip_round_off(np.asarray(boxes[record["id"]], np.float32), image.shape)
            check_boxes(
                box,
                np.asarray(labels[record["id"]]),
                image.shape[1:],
                writer.box_label_names,
                where=f"{where} ({record['file_name']})",
            )
            writer.append(
                image[None],
                {"object_id": [int(record["id"])], "file_name": [str(record["file_name"])]},
                boxes=[box],
                box_labels=[np.asarray(labels[record["id"]], np.int64)],
            )
    return Path(out)


def _clip_round_off(boxes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boxes [K, 4] with edges within EDGE_TOLERANCE_PX of the border put on it."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    height, width = shape[1], shape[2]
    limits = np.array([width, height, width, height], np.float32)
    near = np.abs(boxes - limits) <= EDGE_TOLERANCE_PX
    near_zero = np.abs(boxes) <= EDGE_TOLERANCE_PX
    return np.where(near, limits, np.where(near_zero, 0.0, boxes)).astype(np.float32)


def _default_bands(file_name: str, channels: int) -> list[str]:
    if file_name.lower().endswith(PNG_SUFFIXES) and channels in _PNG_BANDS:
        return _PNG_BANDS[channels]
    return [f"band{c}" for c in range(channels)]
