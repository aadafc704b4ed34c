"""Report figures as PNG bytes (matplotlib, Agg backend): pure functions of arrays and summaries."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.lines
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from astrobench.bench.aggregate import GroupSummary
from astrobench.metrics import photoz

_DPI = 110
_BOUNDARY_STYLES = (":", "--", "-.")  # η boundaries, by ascending threshold


@dataclass(frozen=True)
class EmbeddingMap:
    """A backbone's embeddings of one dataset projected to 2-D, with a colour per object."""

    backbone: str
    method: str
    xy: np.ndarray  # [N, 2]
    colour: np.ndarray  # [N] class index (or any value)
    names: Sequence[str]


def to_png(figure: Figure) -> bytes:
    """Render and close a figure."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def fraction_curves(groups: Sequence[GroupSummary], title: str) -> bytes:
    """Headline metric vs label fraction, one panel per protocol, a line per backbone;
    markers at the seed mean, error bars from the lowest to the highest seed (seed 002 Fig. 3)."""
    protocols = sorted({g.protocol for g in groups})
    figure, axes = plt.subplots(
        1, len(protocols), figsize=(3.6 * len(protocols), 3.2), squeeze=False, sharey=True
    )
    backbones = sorted({g.backbone for g in groups})
    colours = {b: plt.get_cmap("tab10")(i % 10) for i, b in enumerate(backbones)}
    for axis, protocol in zip(axes[0], protocols, strict=True):
        for backbone in backbones:
            line = sorted(
                (g for g in groups if g.protocol == protocol and g.backbone == backbone),
                key=lambda g: g.fraction,
            )
            if not line:
                continue
            x = np.array([g.fraction for g in line])
            mean = np.array([g.headline.mean for g in line])
            # Seeds that agree give min == mean == max up to rounding: clip the -1e-17s.
            low = np.clip(mean - np.array([g.headline.min for g in line]), 0.0, None)
            high = np.clip(np.array([g.headline.max for g in line]) - mean, 0.0, None)
            axis.errorbar(
                x,
                mean,
                yerr=[low, high],
                marker="o",
                capsize=3,
                label=backbone,
                color=colours[backbone],
            )
        axis.set_xscale("log")
        axis.set_xticks(sorted({g.fraction for g in groups}))
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_title(protocol)
        axis.set_xlabel("label fraction")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel(
        groups[0].headline_metric + ("" if groups[0].higher_is_better else " (lower is better)")
    )
    handles = [matplotlib.lines.Line2D([], [], color=colours[b], marker="o") for b in backbones]
    figure.legend(
        handles,
        backbones,
        loc="lower center",
        ncol=min(4, len(backbones)),
        fontsize=7,
        bbox_to_anchor=(0.5, -0.12),
    )
    figure.suptitle(title, y=1.04)
    return to_png(figure)


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
    text = photoz_stats_text(stats, len(z_true))
    top.text(
        0.03,
        0.97,
        text,
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


def embedding_maps_figure(maps: Sequence[EmbeddingMap], title: str) -> bytes:
    """One scatter per backbone of its 2-D embedding map, coloured by class (as seed 002 Fig. 2)."""
    n = len(maps)
    columns = min(n, 4)
    rows = (n + columns - 1) // columns
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(3.2 * columns, 3.1 * rows + 0.8),
        squeeze=False,
        layout="constrained",
    )
    for axis in axes.flat[n:]:
        axis.set_visible(False)
    cmap = plt.get_cmap("tab10")
    for axis, item in zip(axes.flat, maps, strict=False):
        classes = np.unique(item.colour)
        for index, value in enumerate(classes):
            chosen = item.colour == value
            label = item.names[int(value)] if 0 <= int(value) < len(item.names) else str(value)
            axis.scatter(*item.xy[chosen].T, s=4, alpha=0.7, color=cmap(index % 10), label=label)
        axis.set_title(f"{item.backbone}\n({item.method})", fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=min(5, len(labels)),
        fontsize=6,
        markerscale=2,
    )
    figure.suptitle(title)
    return to_png(figure)
