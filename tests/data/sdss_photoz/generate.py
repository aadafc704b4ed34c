"""Write a tiny `sdss.npz` (Pasquet et al. 2019) in the original layout (seeded).

`cube` float32 [N, 64, 64, 5] (NHWC, u,g,r,i,z) and `labels`, a record array with `z`, `ra`,
`dec`, `dered_petro_{u,g,r,i,z}`, `primtarget`, `objid`. Written with np.savez (stored members).
Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

FILENAME = "sdss.npz"


def generate(out_dir: Path, seed: int = 0, n: int = 13, size_px: int = 64) -> Path:
    """`n` objects; an odd count so chunked reading meets a partial last block."""
    rng = np.random.default_rng(seed)
    cube = rng.normal(0, 1, (n, size_px, size_px, 5)).astype(np.float32)
    fields = [("objid", "i8"), ("ra", "f8"), ("dec", "f8"), ("z", "f4"), ("primtarget", "i4")]
    fields += [(f"dered_petro_{b}", "f4") for b in "ugriz"]
    labels = np.rec.array(np.zeros(n, dtype=fields))
    labels["objid"] = 1237645876861272000 + np.arange(n)
    labels["ra"] = rng.uniform(0, 360, n)
    labels["dec"] = rng.uniform(-10, 60, n)
    labels["z"] = rng.uniform(0.01, 0.4, n)
    labels["primtarget"] = rng.choice([64, 96, 128], n)
    for b in "ugriz":
        labels[f"dered_petro_{b}"] = rng.uniform(14, 18, n)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    np.savez(path, cube=cube, labels=labels)
    return path


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
