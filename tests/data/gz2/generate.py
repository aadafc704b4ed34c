"""Write a tiny GZ2 distribution of galaxy-datasets in the original layout (seeded).

`gz2_train_catalog.parquet`, `gz2_test_catalog.parquet` (columns ra, dec, per question
`<q>-gz2_<a>` vote counts, `<q>-gz2_total-votes`, `<q>-gz2_<a>_fraction`, then file_loc,
subfolder, iauname, summary, leaf_prob, label (-1..6), filename, id_str) and `images_gz2.tar.gz`
holding `images/<subfolder>/<dr7objid>.jpg` (424 px). Run: python generate.py OUT_DIR
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

QUESTIONS = {
    "smooth-or-featured": ("smooth", "featured-or-disk", "artifact"),
    "disk-edge-on": ("yes", "no"),
    "has-spiral-arms": ("yes", "no"),
    "bar": ("yes", "no"),
    "bulge-size": ("dominant", "obvious", "just-noticeable", "no"),
    "something-odd": ("yes", "no"),
    "how-rounded": ("round", "in-between", "cigar"),
    "bulge-shape": ("round", "boxy", "no-bulge"),
    "spiral-winding": ("tight", "medium", "loose"),
    "spiral-arm-count": ("1", "2", "3", "4", "more-than-4", "cant-tell"),
}


def catalog(
    rng: np.random.Generator,
    ids: list[str],
    subfolders: list[str],
    suffix: str,
    questions: dict[str, tuple[str, ...]],
    with_fractions: bool,
) -> pd.DataFrame:
    """Vote counts (+ totals, + fractions) per question, in the galaxy-datasets column style."""
    n = len(ids)
    columns: dict[str, object] = {"ra": rng.uniform(0, 360, n), "dec": rng.uniform(-10, 60, n)}
    for question, answers in questions.items():
        counts = rng.integers(0, 30, (n, len(answers)))
        for j, answer in enumerate(answers):
            columns[f"{question}{suffix}_{answer}"] = counts[:, j]
        total = counts.sum(axis=1)
        columns[f"{question}{suffix}_total-votes"] = total
        if with_fractions:
            for j, answer in enumerate(answers):
                columns[f"{question}{suffix}_{answer}_fraction"] = counts[:, j] / np.maximum(
                    total, 1
                )
    filenames = [f"{i}.jpg" for i in ids]
    columns["file_loc"] = [
        f"/share/nas/gz/images/{s}/{f}" for s, f in zip(subfolders, filenames, strict=True)
    ]
    columns["subfolder"] = subfolders
    columns["filename"] = filenames
    columns["id_str"] = ids
    return pd.DataFrame(columns)


def jpg_archive(
    path: Path, rng: np.random.Generator, members: list[str], size_px: int = 424
) -> None:
    """A tar.gz of random-colour jpgs under the given member names."""
    with tarfile.open(path, "w:gz") as tar:
        for name in members:
            pixels = rng.integers(0, 256, (size_px // 8, size_px // 8, 3), dtype=np.uint8)
            image = Image.fromarray(pixels).resize((size_px, size_px))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=70)
            info = tarfile.TarInfo(name)
            info.size = buffer.tell()
            buffer.seek(0)
            tar.addfile(info, buffer)


def generate(out_dir: Path, seed: int = 0, n_train: int = 16, n_test: int = 4) -> list[Path]:
    """Train/test catalogs and the jpg archive; every class label (-1..6) appears in train."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = [str(587722981741363294 + 7919 * i) for i in range(n_train + n_test)]
    subfolders = [i[:6] for i in ids]
    table = catalog(rng, ids, subfolders, "-gz2", QUESTIONS, with_fractions=True)
    table["iauname"] = [f"J{i:06d}.00+000000.0" for i in range(len(ids))]
    table["summary"] = "smooth_round"
    table["leaf_prob"] = rng.uniform(0, 1, len(ids))
    table["label"] = (np.arange(len(ids)) % 8) - 1
    paths = [out_dir / "gz2_train_catalog.parquet", out_dir / "gz2_test_catalog.parquet"]
    table.iloc[:n_train].to_parquet(paths[0], index=False)
    table.iloc[n_train:].to_parquet(paths[1], index=False)
    members = [f"images/{s}/{f}" for s, f in zip(subfolders, table["filename"], strict=True)]
    paths.append(out_dir / "images_gz2.tar.gz")
    jpg_archive(paths[2], rng, members)
    return paths


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
