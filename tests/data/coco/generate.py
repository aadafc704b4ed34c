"""Seeded generator of a tiny COCO detection set in the exact COCO layout (Lin et al. 2014):
`annotations.json` with info / licenses / images / annotations / categories, and the images it
names (PNG, or single-band FITS with `fits=True`). Boxes are [x, y, w, h] around Gaussian blobs.

    python tests/data/coco/generate.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

CATEGORIES = [
    {"id": 3, "name": "compact", "supercategory": "source"},
    {"id": 7, "name": "extended", "supercategory": "source"},
]


def generate(
    out: Path, n_images: int = 4, size: int = 32, fits: bool = False, seed: int = 0
) -> Path:
    """Write the set into `out`; returns the annotations file."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    y, x = np.mgrid[:size, :size]
    for k in range(n_images):
        image_id = 100 + 2 * k  # ids need not be contiguous
        pixels = rng.normal(0, 2, (size, size))
        for _ in range(int(rng.integers(1, 4))):
            category = CATEGORIES[int(rng.integers(2))]
            sigma = 1.5 if category["id"] == 3 else 3.0
            cx, cy = rng.uniform(8, size - 8, 2)
            pixels += 120 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
            half = 2.5 * sigma
            box = [float(cx - half), float(cy - half), float(2 * half), float(2 * half)]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": category["id"],
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
        name = f"img_{k:03d}.{'fits' if fits else 'png'}"
        _write_image(out / name, pixels, fits)
        images.append(
            {"id": image_id, "file_name": name, "width": size, "height": size, "license": 1}
        )
    coco = {
        "info": {"description": "astrobench fake COCO set", "version": "1.0"},
        "licenses": [{"id": 1, "name": "CC0-1.0"}],
        "images": images,
        "annotations": annotations,
        "categories": CATEGORIES,
    }
    path = out / "annotations.json"
    path.write_text(json.dumps(coco))
    return path


def _write_image(path: Path, pixels: np.ndarray, fits: bool) -> None:
    if fits:
        from astropy.io import fits as pyfits

        pyfits.PrimaryHDU(pixels.astype(np.float32)).writeto(path, overwrite=True)
        return
    from PIL import Image

    Image.fromarray(np.clip(pixels + 20, 0, 255).astype(np.uint8), mode="L").save(path)


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
