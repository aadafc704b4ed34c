"""Write a tiny `Galaxy10.h5` (Galaxy10 SDSS) in the original layout (seeded).

Keys: `images` uint8 [N, 69, 69, 3] (NHWC) and `ans` uint8 [N] (0-9); nothing else.
Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np

FILENAME = "Galaxy10.h5"


def generate(out_dir: Path, seed: int = 0, n_per_class: int = 2) -> Path:
    """`n_per_class` noisy uint8 images of each of the ten classes."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_class).astype(np.uint8)
    images = rng.integers(0, 256, (len(labels), 69, 69, 3), dtype=np.uint8)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    with h5py.File(path, "w") as h5:
        h5.create_dataset("images", data=images)
        h5.create_dataset("ans", data=labels)
    return path


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
