"""Embedding maps coloured by what astronomers check first: class, redshift, sSFR (seed 003).

One row per embedding (e.g. image, spectrum, aligned image, aligned spectrum), one column per
colouring. Points are a class-balanced sample (the same objects in every row), projected by
UMAP of the first 10 principal components when umap-learn is importable, else by PCA — the
method is written on every panel, so a PCA fallback is never mistaken for UMAP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from astrobench.report.figures import plt, to_png


@dataclass
class Colouring:
    """Per-object values to colour by: categorical (class indices + names) or continuous."""

    name: str
    values: np.ndarray  # [N]
    class_names: list[str] | None = None


def balanced_sample(labels: np.ndarray, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of up to `n_per_class` random objects of every class."""
    rng = np.random.default_rng(seed)
    picks = [
        rng.permutation(np.flatnonzero(labels == value))[:n_per_class]
        for value in np.unique(labels)
    ]
    return np.sort(np.concatenate(picks)) if picks else np.empty(0, np.int64)


def property_maps(
    maps: Mapping[str, tuple[np.ndarray, str]], colourings: list[Colouring], title: str
) -> bytes:
    """PNG of `maps` (name -> (xy [N, 2], method)) coloured by each of `colourings`."""
    rows, cols = len(maps), len(colourings)
    figure, axes = plt.subplots(
        rows, cols, figsize=(3.3 * cols, 3.0 * rows + 0.5), squeeze=False, layout="constrained"
    )
    for r, (name, (xy, method)) in enumerate(maps.items()):
        for c, colouring in enumerate(colourings):
            axis = axes[r, c]
            if colouring.class_names is not None:
                cmap = plt.get_cmap("tab10")
                for value in np.unique(colouring.values):
                    chosen = colouring.values == value
                    label = (
                        colouring.class_names[int(value)]
                        if 0 <= value < len(colouring.class_names)
                        else str(value)
                    )
                    axis.scatter(*xy[chosen].T, s=3, color=cmap(int(value) % 10), label=label)
            else:
                finite = np.isfinite(colouring.values)
                points = axis.scatter(
                    *xy[finite].T, s=3, c=colouring.values[finite], cmap="viridis"
                )
                figure.colorbar(points, ax=axis, shrink=0.8)
            axis.set_title(f"{name} ({method})\ncoloured by {colouring.name}", fontsize=7)
            axis.set_xticks([])
            axis.set_yticks([])
    for c, colouring in enumerate(colourings):
        if colouring.class_names is not None:
            axes[0, c].legend(fontsize=4, markerscale=2, loc="best")
    figure.suptitle(title, fontsize=9)
    return to_png(figure)
