"""Write a tiny `Galaxy10_DECals.h5` in the original layout (seeded).

Keys: `images` uint8 [N, 256, 256, 3] (gzip-compressed, NHWC), `ans` uint8 [N] (0-9),
`ra`, `dec`, `redshift` (with a NaN), `pxscale` float64 [N]. Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np

FILENAME = "Galaxy10_DECals.h5"
N_PER_CLASS = 2


def generate(out_dir: Path, seed: int = 0, size_px: int = 256, filename: str = FILENAME) -> Path:
    """Two objects per class (20 in all); smooth blobs so gzip keeps the file small."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), N_PER_CLASS).astype(np.uint8)
    n = len(labels)
    yy, xx = np.mgrid[:size_px, :size_px] - size_px / 2
    radius = rng.uniform(8, 40, n)[:, None, None]
    blob = np.exp(-(xx**2 + yy**2) / (2 * radius**2))  # [n, H, W]
    colour = rng.uniform(0.3, 1.0, (n, 1, 1, 3))
    images = np.clip(blob[..., None] * colour * 255, 0, 255).astype(np.uint8)  # [n, H, W, 3]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / filename
    with h5py.File(path, "w") as h5:
        h5.create_dataset(
            "images", data=images, compression="gzip", chunks=(1, size_px, size_px, 3)
        )
        h5.create_dataset("ans", data=labels)
        h5.create_dataset("ra", data=rng.uniform(0, 360, n))
        h5.create_dataset("dec", data=rng.uniform(-10, 30, n))
        redshift = rng.uniform(0.01, 0.3, n)
        redshift[3] = np.nan
        h5.create_dataset("redshift", data=redshift)
        h5.create_dataset("pxscale", data=np.full(n, 0.262))
    return path


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
