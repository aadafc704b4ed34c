"""How hard are the synthetic survey's tasks? Prints two reported (never tuned) figures.

1. Morphology: logistic regression on 8x8-downsampled, asinh-scaled pixels (balanced accuracy;
   chance = 0.10).
2. Photo-z: kNN regression on measured colours alone (sdss): sigma_NMAD of dz / (1 + z).

Usage: .venv/bin/python benchmarks/bench_synth_tasks.py [--n 3000] [--preset sdss] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np


def downsampled_pixels(images: np.ndarray, side: int = 8) -> np.ndarray:
    """[N, C, H, W] -> [N, C * side * side]: block means, asinh-scaled per object."""
    n, c, h, w = images.shape
    blocks = images.reshape(n, c, side, h // side, side, w // side).mean(
        axis=(3, 5)
    )  # [N, C, 8, 8]
    scale = np.abs(blocks).max(axis=(1, 2, 3), keepdims=True) + 1e-9
    return np.arcsinh(10 * blocks / scale).reshape(n, -1)


def sigma_nmad(z_true: np.ndarray, z_pred: np.ndarray) -> float:
    """1.4826 median |dz - median(dz)| with dz = (z_pred - z_true) / (1 + z_true)."""
    dz = (z_pred - z_true) / (1 + z_true)
    return float(1.4826 * np.median(np.abs(dz - np.median(dz))))


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.preprocessing import StandardScaler

    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.synth import synthesize

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--preset", default="sdss")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = synthesize(
            args.preset,
            args.n,
            args.seed,
            Path(tmp) / "s.h5",
            workers=args.workers,
            spectra=False,
            progress=False,
        )
        f = CutoutFile(path)
        images = f.read_slice(0, len(f))
        labels = f.column("label")
        z = f.column("redshift")
        mags = np.stack([f.column(f"mag_{b}") for b in f.bands], axis=1)
    train = np.arange(len(labels)) % 5 != 0
    x = downsampled_pixels(images)
    scaler = StandardScaler().fit(x[train])
    clf = LogisticRegression(max_iter=2000, C=0.1).fit(scaler.transform(x[train]), labels[train])
    acc = balanced_accuracy_score(labels[~train], clf.predict(scaler.transform(x[~train])))
    colours = np.diff(mags, axis=1)  # [N, C-1]: u-g, g-r, ...
    knn = KNeighborsRegressor(n_neighbors=15, weights="distance").fit(colours[train], z[train])
    nmad = sigma_nmad(z[~train], knn.predict(colours[~train]))
    print(f"preset={args.preset} n={args.n} (train {train.sum()}, test {(~train).sum()})")
    print(
        f"morphology, logistic regression on 8x8 pixels: balanced accuracy {acc:.3f} (chance 0.100)"
    )
    print(f"photo-z, kNN on colours only: sigma_NMAD {nmad:.4f}")


if __name__ == "__main__":
    main()
