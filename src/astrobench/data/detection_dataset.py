"""A torch Dataset of images with boxes, for training detectors with the one training runtime.

Boxes are ragged, but the runtime's DataLoader stacks samples; so every sample carries its boxes
padded to the file's largest count: "boxes" [K_max, 4] (x0, y0, x1, y1) and "box_labels"
[K_max] with -1 marking padding (`unpad_targets` turns a batch back into torchvision targets).
Random flips (augment=True) move the boxes with the pixels; they draw from torch's RNG, which
the runtime seeds per sample position, so they are the same for any worker count.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.process_local import IndexedCutoutDataset


class DetectionDataset(IndexedCutoutDataset[dict[str, Any]]):
    """Objects `indices` of a cutout file with boxes, as padded sample dicts."""

    def __init__(
        self, path: str | os.PathLike[str], indices: Sequence[int] | np.ndarray, augment: bool
    ) -> None:
        super().__init__(path, indices)
        with CutoutFile(self.path) as cutouts:
            self.table = cutouts.box_table()
            self.image_shape = cutouts.image_shape
        self.max_boxes = max(1, int(self.table.counts().max(initial=0)))
        self.augment = augment

    def __getitem__(self, position: int) -> dict[str, Any]:
        index = int(self.indices[position])
        image = torch.from_numpy(self._cutouts().read_image(index))  # [C, H, W]
        boxes_np, labels_np = self.table.of_image(index)
        boxes = torch.from_numpy(np.array(boxes_np, dtype=np.float32))  # [K, 4]
        if self.augment:
            image, boxes = random_flips(image, boxes)
        padded = torch.zeros(self.max_boxes, 4)
        labels = torch.full((self.max_boxes,), -1, dtype=torch.int64)
        padded[: len(boxes)] = boxes
        labels[: len(boxes)] = torch.from_numpy(np.asarray(labels_np, dtype=np.int64))
        return {"image": image, "boxes": padded, "box_labels": labels, "index": index}


def random_flips(image: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip image [C, H, W] left-right and/or up-down (each with probability 1/2), and boxes
    [K, 4] (pixel-edge x0, y0, x1, y1) with it."""
    _, height, width = image.shape
    boxes = boxes.clone()
    if bool(torch.rand(()) < 0.5):
        image = image.flip(-1)
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    if bool(torch.rand(()) < 0.5):
        image = image.flip(-2)
        boxes[:, [1, 3]] = height - boxes[:, [3, 1]]
    return image, boxes


def unpad_targets(batch: dict[str, Any]) -> list[dict[str, torch.Tensor]]:
    """torchvision targets (boxes [K, 4], labels [K]) of a collated batch, padding removed."""
    targets = []
    for boxes, labels in zip(batch["boxes"], batch["box_labels"], strict=True):
        keep = labels >= 0
        targets.append({"boxes": boxes[keep], "labels": labels[keep]})
    return targets
