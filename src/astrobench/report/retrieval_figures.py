"""Retrieval figures: cross-modal recall@k of each encoder pair against chance (seed 003 §6.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from astrobench.report.figures import plt, to_png


def recall_bars(scored: Mapping[str, Mapping[str, float]], ks: Sequence[int], title: str) -> bytes:
    """Grouped bars: for each k, one pair of bars (image→spectrum, spectrum→image) per model
    (`scored`: name -> its metrics) and a grey bar for chance recall@k."""
    names = list(scored)
    width = 0.8 / (2 * len(names) + 1)
    figure, axis = plt.subplots(figsize=(2.2 + 1.6 * len(ks), 3.4))
    x = np.arange(len(ks), dtype=np.float64)
    cmap = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        metrics = scored[name]
        for j, direction in enumerate(("image_to_spectrum", "spectrum_to_image")):
            values = [metrics.get(f"{direction}/recall@{k}", np.nan) for k in ks]
            offset = (2 * i + j) * width
            axis.bar(
                x + offset,
                values,
                width,
                color=cmap(i % 10),
                hatch="//" if j else None,
                edgecolor="white",
                label=name if j == 0 else None,
            )
    chance = [
        np.nanmean([m.get(f"chance/recall@{k}", np.nan) for m in scored.values()]) for k in ks
    ]
    axis.bar(x + 2 * len(names) * width, chance, width, color="0.6", label="chance (k / N)")
    axis.set_xticks(x + len(names) * width, labels=[f"recall@{k}" for k in ks])
    axis.set_ylim(0, 1)
    axis.set_ylabel("fraction of test pairs")
    axis.legend(fontsize=6, loc="upper left")
    axis.set_title(title.split(":")[0], fontsize=9)
    return to_png(figure)


DIRECTIONS = ("image_to_spectrum", "spectrum_to_image", "image_to_image", "spectrum_to_spectrum")


def agreement_bars(scored: Mapping[str, Mapping[str, float]], column: str, title: str) -> bytes:
    """R² of the neighbour-mean `column` per search direction (cross-modal, then in-modal),
    one bar per model (`scored`: name -> its metrics)."""
    names = list(scored)
    width = 0.8 / max(len(names), 1)
    figure, axis = plt.subplots(figsize=(2.2 + 1.5 * len(DIRECTIONS), 3.2))
    x = np.arange(len(DIRECTIONS), dtype=np.float64)
    cmap = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        values = [scored[name].get(f"{d}/{column}_r2", np.nan) for d in DIRECTIONS]
        axis.bar(x + i * width, values, width, color=cmap(i % 10), label=name)
    axis.axhline(0.0, color="0.3", lw=0.8)
    labels = [d.replace("_to_", "→") for d in DIRECTIONS]
    axis.set_xticks(x + (len(names) - 1) * width / 2, labels=labels, fontsize=7)
    axis.set_ylabel(f"R² of neighbour-mean {column}")
    axis.legend(fontsize=6, loc="best")
    axis.set_title(title.split(":")[0], fontsize=9)
    return to_png(figure)
