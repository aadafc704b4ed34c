"""Figures a task draws for the report, as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from astrobench.metrics import photoz

_DPI = 110
_BOUNDARY_STYLES = (":", "--", "-.")  # η boundaries, by ascending threshold


def to_png(figure: Figure) -> bytes:
    """Render and close a figure."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def confusion_matrix_figure(confusion: np.ndarray, class_names: Sequence[str], title: str) -> bytes:
    """Row-normalised confusion matrix with counts, true class on rows (as seed 004 Fig. 3)."""
    counts = np.asarray(confusion, dtype=np.int64)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(3.5, 0.55 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if rates[i, j] > 0.5 else "black"
        axis.text(j, i, f"{count}", ha="center", va="center", color=colour, fontsize=8)
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, labels=list(class_names), rotation=45, ha="right")
    axis.set_yticks(ticks, labels=list(class_names))
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    figure.colorbar(image, ax=axis, label="fraction of true class")
    axis.set_title(title.split(":")[0], fontsize=9)
    return to_png(figure)


def photoz_stats_text(stats: dict[str, float], n_objects: int) -> str:
    """The lines written on a photo-z scatter: σ_NMAD, η at each threshold, bias and N."""
    etas = photoz.outlier_fractions(stats)
    return "\n".join(
        [
            f"σ_NMAD = {stats['sigma_nmad']:.4f}",
            *(f"η(|Δz|/(1+z)>{t:g}) = {eta:.3f}" for t, eta in etas.items()),
            f"bias = {stats['bias']:+.4f}",
            f"N = {n_objects}",
        ]
    )


def photoz_scatter(
    z_true: np.ndarray, z_pred: np.ndarray, stats: dict[str, float], title: str
) -> bytes:
    """Density of predicted vs true redshift over a residual panel Δz/(1+z), with σ_NMAD, η and
    bias written on it (as seed 000 Fig. 4 and seed 001 Figs 9–11).

    η is written, and its boundary drawn, for every `outlier_fraction_<t>` entry of `stats`.
    """
    z_true, z_pred = np.asarray(z_true, float), np.asarray(z_pred, float)
    residual = (z_pred - z_true) / (1 + z_true)
    figure, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(4.6, 5.6),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 1.2], "hspace": 0.05},
    )
    low, high = float(min(z_true.min(), z_pred.min())), float(max(z_true.max(), z_pred.max()))
    bins = 40
    top.hist2d(z_true, z_pred, bins=bins, range=[[low, high], [low, high]], cmap="viridis", cmin=1)
    top.plot([low, high], [low, high], color="red", lw=1, label="ẑ = z")
    edges = np.linspace(low, high, 50)
    outliers = photoz.outlier_fractions(stats)
    for threshold, style in zip(outliers, _BOUNDARY_STYLES, strict=False):
        for sign in (-1, 1):  # the outlier boundary |Δz| / (1 + z) = threshold
            top.plot(edges, edges + sign * threshold * (1 + edges), color="red", lw=0.7, ls=style)
    top.set_ylim(low, high)
    top.set_ylabel("predicted redshift ẑ")
    top.text(
        0.03,
        0.97,
        photoz_stats_text(stats, len(z_true)),
        transform=top.transAxes,
        va="top",
        fontsize=8,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    top.set_title(title.split(":")[0], fontsize=9)
    bottom.hist2d(z_true, residual, bins=[bins, 30], cmap="viridis", cmin=1)
    bottom.axhline(0, color="red", lw=1)
    bottom.set_xlabel("true redshift z")
    bottom.set_ylabel("Δz / (1+z)")
    return to_png(figure)
