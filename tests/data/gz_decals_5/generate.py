"""Write a tiny GZ DECaLS DR5 distribution of galaxy-datasets in the original layout (seeded).

`decals_dr5_ortho_{train,test}_catalog.parquet` (ra, dec, `<q>-dr5_<a>` vote counts and
`<q>-dr5_total-votes`, file_loc, subfolder, iauname, filename, id_str; whether the real
catalogs also hold `_fraction` columns is unverified, so none are written here: the converter
must compute them) and `decals_dr5_images.tar.gz` with `images/<J+3 digits>/<iauname>.jpg`.
Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

QUESTIONS = {
    "smooth-or-featured": ("smooth", "featured-or-disk", "artifact"),
    "disk-edge-on": ("yes", "no"),
    "has-spiral-arms": ("yes", "no"),
    "bar": ("strong", "weak", "no"),
    "bulge-size": ("dominant", "large", "moderate", "small", "none"),
    "how-rounded": ("round", "in-between", "cigar-shaped"),
    "edge-on-bulge": ("boxy", "none", "rounded"),
    "spiral-winding": ("tight", "medium", "loose"),
    "spiral-arm-count": ("1", "2", "3", "4", "more-than-4", "cant-tell"),
    "merging": ("none", "minor-disturbance", "major-disturbance", "merger"),
}


def _gz2_generator():
    spec = importlib.util.spec_from_file_location(
        "_fake_gz2_generate", Path(__file__).parents[1] / "gz2" / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(out_dir: Path, seed: int = 0, n_train: int = 12, n_test: int = 4) -> list[Path]:
    """Train/test catalogs and the jpg archive (one catalog row has no jpg, as can happen)."""
    gz2 = _gz2_generator()
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [f"J{73 + i:03d}013.60+242930.0" for i in range(n_train + n_test)]
    subfolders = [name[:4] for name in names]
    table = gz2.catalog(rng, names, subfolders, "-dr5", QUESTIONS, with_fractions=False)
    table["iauname"] = names
    paths = [
        out_dir / "decals_dr5_ortho_train_catalog.parquet",
        out_dir / "decals_dr5_ortho_test_catalog.parquet",
    ]
    table.iloc[:n_train].to_parquet(paths[0], index=False)
    table.iloc[n_train:].to_parquet(paths[1], index=False)
    members = [f"images/{s}/{f}" for s, f in zip(subfolders, table["filename"], strict=True)][1:]
    paths.append(out_dir / "decals_dr5_images.tar.gz")
    gz2.jpg_archive(paths[2], rng, members)
    return paths


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
