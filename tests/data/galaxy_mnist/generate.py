"""Write tiny GalaxyMNIST files in the original layout (seeded).

Two gzip-compressed HDF5 files, `train_dataset.hdf5.gz` and `test_dataset.hdf5.gz`, each with
`images` uint8 [N, S, S, 3] (NHWC; S = 64, or 224 for the high-resolution variant) and `labels`
uint8 [N] in 0..3. Run: python generate.py OUT_DIR [SIZE]
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import h5py
import numpy as np

FILENAMES = ("train_dataset.hdf5.gz", "test_dataset.hdf5.gz")
N_TRAIN, N_TEST = 20, 8


def generate(out_dir: Path, seed: int = 0, size_px: int = 64) -> list[Path]:
    """Train (20, 5 per class) and test (8, 2 per class) files."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, n in zip(FILENAMES, (N_TRAIN, N_TEST), strict=True):
        labels = (np.arange(n) % 4).astype(np.uint8)
        images = rng.integers(0, 256, (n, size_px, size_px, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as h5:
            h5.create_dataset("images", data=images)
            h5.create_dataset("labels", data=labels)
        path = out_dir / filename
        path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
        paths.append(path)
    return paths


if __name__ == "__main__":
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else "."), size_px=size))
