"""The neighbour grid of a similarity search (seed 003 Fig. 2): one row per query, the query
first, then its k nearest neighbours, each cutout with its spectrum drawn under it.

Cutouts are colour composites of the three reddest bands (a single band is shown in grey),
asinh-stretched with one scale per row so brightness is comparable along a row. Spectra are
drawn in observed wavelength, each scaled to its own median, with the query's spectrum in
grey behind every neighbour's for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from astrobench.report.figures import plt, to_png


@dataclass
class GridRow:
    """One query and its neighbours, already read from the file."""

    images: np.ndarray  # [k+1, C, H, W], query first
    spectra: np.ndarray | None  # [k+1, L] or None when the file has no spectra
    labels: Sequence[str]  # k+1 captions (object, redshift, similarity)


def composite(images: np.ndarray) -> np.ndarray:
    """RGB [n, H, W, 3] in [0, 1] of images [n, C, H, W] (reddest band as red)."""
    c = images.shape[1]
    picks = [c - 1, max(c - 2, 0), max(c - 3, 0)] if c >= 3 else [c - 1] * 3
    rgb = np.stack([images[:, i] for i in picks], axis=-1).astype(np.float64)  # [n, H, W, 3]
    scale = max(float(np.percentile(np.abs(rgb), 99.5)), 1e-12)
    return np.clip(np.arcsinh(rgb / (0.05 * scale)) / np.arcsinh(1 / 0.05), 0.0, 1.0)


def neighbour_grid(rows: Sequence[GridRow], wavelength: np.ndarray | None, title: str) -> bytes:
    """PNG bytes of the grid (see the module docstring)."""
    n_rows, n_cols = len(rows), len(rows[0].labels)
    with_spectra = rows[0].spectra is not None and wavelength is not None
    heights = [3.0, 1.3] * n_rows if with_spectra else [3.0] * n_rows
    figure = plt.figure(figsize=(1.9 * n_cols, sum(heights) * 0.62 + 0.6))
    grid = figure.add_gridspec(len(heights), n_cols, height_ratios=heights, hspace=0.5)
    for r, row in enumerate(rows):
        rgb = composite(row.images)
        line = 2 * r if with_spectra else r
        for c in range(n_cols):
            axis = figure.add_subplot(grid[line, c])
            axis.imshow(rgb[c], origin="lower")
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(row.labels[c], fontsize=6)
            if c == 0:
                for spine in axis.spines.values():
                    spine.set_color("tab:red")
                    spine.set_linewidth(2)
            if with_spectra:
                assert row.spectra is not None and wavelength is not None
                spec_axis = figure.add_subplot(grid[line + 1, c])
                norm = np.median(np.abs(row.spectra), axis=1, keepdims=True) + 1e-12
                if c > 0:
                    spec_axis.plot(wavelength, row.spectra[0] / norm[0], color="0.75", lw=0.4)
                spec_axis.plot(wavelength, row.spectra[c] / norm[c], color="tab:blue", lw=0.4)
                spec_axis.set_yticks([])
                spec_axis.tick_params(labelsize=5, labelbottom=r == n_rows - 1)
    figure.suptitle(title, fontsize=9)
    return to_png(figure)
