"""Write a tiny `astroclip_desi.1.1.5.h5` in the original layout (seeded).

Ten groups "0".."9", each with `images` float32 [n, 152, 152, 3] (HWC, g,r,z), `spectra` float32
[n, 7781], `redshifts` float32 [n] and `targetids` int64 [n]. Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np

FILENAME = "astroclip_desi.1.1.5.h5"


def generate(out_dir: Path, seed: int = 0, n_per_group: int = 5) -> Path:
    """`n_per_group` objects in each of the ten groups (smooth images, gzip-compressed)."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    yy, xx = np.mgrid[:152, :152] - 76.0
    with h5py.File(path, "w") as h5:
        for g in range(10):
            n = n_per_group
            width = rng.uniform(3, 12, (n, 1, 1, 1))
            images = np.exp(-(xx**2 + yy**2)[None, :, :, None] / (2 * width**2)) * rng.uniform(
                0.5, 2, (n, 1, 1, 3)
            )
            group = h5.create_group(str(g))
            group.create_dataset("images", data=images.astype(np.float32), compression="gzip")
            group.create_dataset("spectra", data=rng.normal(1, 0.1, (n, 7781)).astype(np.float32))
            group.create_dataset("redshifts", data=rng.uniform(0, 0.6, n).astype(np.float32))
            group.create_dataset("targetids", data=39627000000000000 + 100 * g + np.arange(n))
    return path


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
