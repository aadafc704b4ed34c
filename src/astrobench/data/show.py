"""`astrobench data show`: a grid of cutouts per class, as asinh colour composites or per band."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.atomic import atomic_path
from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import BandError, ConfigError

ASINH_Q = 15.0
# Blue, green, red channel weights (relative), between equal weights (every galaxy orange, as
# nanomaggy fluxes rise to the red) and the Legacy Surveys viewer's g, r, z scales (3.8 : 2.5 : 1),
# so that passive galaxies look yellow and star-forming ones white to blue.
CHANNEL_WEIGHTS = np.array([2.0, 1.4, 1.0])
# One colour per box class (class k takes colour k mod 6); colour-blind-safe (Okabe-Ito).
BOX_COLOURS = ("#56B4E9", "#E69F00", "#CC79A7", "#009E73", "#F0E442", "#D55E00")


def asinh_stretch(image: np.ndarray, scale: float) -> np.ndarray:
    """Map flux to [0, 1] with an asinh stretch (Lupton et al. 2004): linear faint, log bright."""
    return np.clip(np.arcsinh(ASINH_Q * image / scale) / np.arcsinh(ASINH_Q), 0.0, 1.0)


def _centre(image: np.ndarray) -> np.ndarray:
    """The central half of the last two axes (where the catalogued galaxy sits)."""
    h, w = image.shape[-2:]
    return image[..., h // 4 : h - h // 4, w // 4 : w - w // 4]


def colour_composite(image: np.ndarray) -> np.ndarray:
    """RGB [H, W, 3] from three bands [3, H, W] ordered blue to red.

    Bands are weighted by CHANNEL_WEIGHTS and share one scale, set by the central galaxy (not by
    a bright star near the edge).
    """
    weighted = image * CHANNEL_WEIGHTS[:, None, None] / CHANNEL_WEIGHTS.mean()  # [3, H, W]
    scale = float(np.percentile(_centre(weighted).sum(axis=0), 99.5)) / 3.0
    rgb = asinh_stretch(weighted[::-1], max(scale, 1e-12))  # reddest band -> R
    return np.moveaxis(rgb, 0, -1)


def draw_boxes(ax: Any, boxes: np.ndarray, labels: np.ndarray, linestyle: str = "-") -> None:
    """Outline boxes [K, 4] (pixel edges) on an image shown with imshow(origin="lower"),
    one colour per class (BOX_COLOURS)."""
    from matplotlib.patches import Rectangle

    for (x0, y0, x1, y1), label in zip(boxes, labels, strict=True):
        colour = BOX_COLOURS[int(label) % len(BOX_COLOURS)]
        # imshow puts pixel centres on integers: pixel edge e is at e - 0.5
        ax.add_patch(
            Rectangle(
                (x0 - 0.5, y0 - 0.5),
                x1 - x0,
                y1 - y0,
                fill=False,
                edgecolor=colour,
                linewidth=0.7,
                linestyle=linestyle,
            )
        )


def box_legend(fig: Any, names: list[str]) -> None:
    """A legend of box colours under the figure."""
    from matplotlib.patches import Patch

    handles = [
        Patch(edgecolor=BOX_COLOURS[k % len(BOX_COLOURS)], facecolor="none", label=name)
        for k, name in enumerate(names)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(names), fontsize=7, frameon=False)


def _pick(labels: np.ndarray, n_classes: int, per_class: int) -> list[np.ndarray]:
    return [np.flatnonzero(labels == k)[:per_class] for k in range(n_classes)]


def _default_bands(bands: list[str]) -> list[str]:
    preferred: list[str] = [b for b in ("g", "r", "z") if b in bands]
    return preferred if len(preferred) == 3 else bands[:3]


def show_cutouts(
    file: str | os.PathLike[str],
    out: str | os.PathLike[str],
    per_class: int = 8,
    bands: list[str] | None = None,
    per_band: bool = False,
) -> Path:
    """Save a PNG grid: one row per class, `per_class` objects; colour or one panel per band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cutouts = CutoutFile(file)
    names = cutouts.label_names or ["all"]
    labels = cutouts.column("label") if cutouts.has_column("label") else np.zeros(len(cutouts), int)
    chosen = _default_bands(cutouts.bands) if bands is None else bands
    if not per_band and len(chosen) != 3:
        raise ConfigError(
            f"a colour composite needs exactly three bands, got {chosen}", "pass --bands g,r,z"
        )
    missing = [b for b in chosen if b not in cutouts.bands]
    if missing:
        raise BandError(
            f"bands {missing} are not in {file} (it has {cutouts.bands})", "choose from those"
        )
    channels = cutouts.band_indices(chosen)
    picks = _pick(labels, len(names), per_class)
    box_names = cutouts.box_label_names or []
    width = len(chosen) if per_band else 1
    fig, axes = plt.subplots(
        len(names),
        per_class * width,
        figsize=(1.1 * per_class * width + 1.8, 1.15 * len(names)),
        squeeze=False,
    )
    for row, indices in enumerate(picks):
        images = cutouts.read_images(np.sort(indices))[:, channels] if len(indices) else np.zeros(0)
        for col in range(per_class):
            for k in range(width):
                ax = axes[row, col * width + k]
                ax.set_xticks([])
                ax.set_yticks([])
                if col >= len(images):
                    ax.axis("off")
                    continue
                image = images[col]
                if per_band:
                    scale = float(np.percentile(_centre(image[k]), 99.5))
                    ax.imshow(
                        asinh_stretch(image[k], max(scale, 1e-12)), cmap="gray", origin="lower"
                    )
                    ax.set_title(chosen[k], fontsize=6)
                else:
                    ax.imshow(colour_composite(image), origin="lower")
                if cutouts.has_boxes:
                    boxes, box_labels = cutouts.read_boxes(int(np.sort(indices)[col]))
                    draw_boxes(ax, boxes, box_labels)
        axes[row, 0].set_ylabel(names[row], fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(f"{Path(file).name}: {', '.join(chosen)} (asinh stretch)", fontsize=9)
    fig.tight_layout()
    if box_names:
        fig.subplots_adjust(bottom=max(0.08, 0.5 / len(names)))
        box_legend(fig, box_names)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(out)
