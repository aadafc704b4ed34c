"""Report figures as PNG bytes (matplotlib, Agg backend): pure functions of arrays and summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.lines
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from astrobench.bench.aggregate import GroupSummary
from astrobench.tasks.figures import to_png


@dataclass(frozen=True)
class EmbeddingMap:
    """A backbone's embeddings of one dataset projected to 2-D, with a colour per object."""

    backbone: str
    method: str
    xy: np.ndarray  # [N, 2]
    colour: np.ndarray  # [N] class index (or any value)
    names: Sequence[str]


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
