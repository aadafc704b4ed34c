"""Bounding boxes of a cutout file: the checks every writer and reader applies.

Boxes are (x0, y0, x1, y1) in pixel-edge coordinates: pixel (row i, column j) covers
x in [j, j + 1) and y in [i, i + 1), so a box around columns 3..5 has x0 = 3, x1 = 6 and the
whole image is (0, 0, W, H). Box class names are stored as the JSON list attribute
`label_names` of `/box_labels` (the counterpart of `/catalog`'s `label_names` for the
per-image label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from astrobench.errors import DataFormatError

# Tolerance on the image edge: float32 round-off of a box touching the border.
EDGE_TOLERANCE_PX = 1e-3


@dataclass(frozen=True)
class BoxTable:
    """All boxes of a file: boxes [M, 4], labels [M], offsets [N + 1] (image i owns rows
    offsets[i]:offsets[i + 1]) and the class names."""

    boxes: np.ndarray
    labels: np.ndarray
    offsets: np.ndarray
    label_names: list[str]

    def of_image(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes [K, 4] and labels [K] of image `index`."""
        start, stop = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.boxes[start:stop], self.labels[start:stop]

    def counts(self) -> np.ndarray:
        """Boxes per image [N]."""
        return np.diff(self.offsets)


def check_boxes(
    boxes: np.ndarray,
    labels: np.ndarray,
    image_size: tuple[int, int],
    label_names: Sequence[str] | None,
    *,
    where: str,
    first_object: int = 0,
    offsets: np.ndarray | None = None,
) -> None:
    """Raise DataFormatError naming the first bad box: non-finite, x1 <= x0, y1 <= y0, outside
    the image, or a label without a name.

    Args:
        boxes: [M, 4] (x0, y0, x1, y1) pixels.
        labels: [M] class indices into `label_names`.
        image_size: (H, W) of the images.
        label_names: class names (None: no names were given, which is an error when M > 0).
        where: the file (or source) named in the message.
        first_object: index of the first object these boxes belong to (for the message).
        offsets: [n + 1] offsets of these boxes (to name the object); None: name the box row.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(labels).reshape(-1)
    if len(boxes) == 0:
        return
    height, width = image_size
    tol = EDGE_TOLERANCE_PX
    problems = [
        (~np.isfinite(boxes).all(axis=1), "has a non-finite coordinate"),
        (boxes[:, 2] <= boxes[:, 0], "has x1 <= x0"),
        (boxes[:, 3] <= boxes[:, 1], "has y1 <= y0"),
        (
            (boxes[:, :2] < -tol).any(axis=1)
            | (boxes[:, 2] > width + tol)
            | (boxes[:, 3] > height + tol),
            f"lies outside the {width}x{height} image",
        ),
    ]
    for bad, what in problems:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{where}: box {_name(row, first_object, offsets)} "
                f"{tuple(round(float(v), 2) for v in boxes[row])} {what}",
                "boxes are (x0, y0, x1, y1) pixels with 0 <= x0 < x1 <= W, 0 <= y0 < y1 <= H",
            )
    n_names = 0 if label_names is None else len(label_names)
    bad_label = (labels < 0) | (labels >= n_names)
    if bad_label.any():
        row = int(np.flatnonzero(bad_label)[0])
        raise DataFormatError(
            f"{where}: box {_name(row, first_object, offsets)} has label {int(labels[row])} "
            f"but only {n_names} box class names are given",
            "give one name per box class (box_label_names / the categories of a COCO file)",
        )


def check_offsets(offsets: np.ndarray, n_images: int, n_boxes: int, where: str) -> None:
    """Raise DataFormatError unless offsets [N + 1] start at 0, never decrease and end at M."""
    offsets = np.asarray(offsets)
    ok = (
        offsets.shape == (n_images + 1,)
        and int(offsets[0]) == 0
        and bool(np.all(np.diff(offsets) >= 0))
        and int(offsets[-1]) == n_boxes
    )
    if not ok:
        raise DataFormatError(
            f"{where}: /box_offsets (shape {offsets.shape}) do not partition {n_boxes} boxes "
            f"among {n_images} images",
            "offsets must be [N + 1], start at 0, never decrease and end at the box count",
        )


def _name(row: int, first_object: int, offsets: np.ndarray | None) -> str:
    if offsets is None:
        return f"{row} of object {first_object}"
    image = int(np.searchsorted(offsets, row, side="right")) - 1
    return f"{row - int(offsets[image])} of object {first_object + image}"
