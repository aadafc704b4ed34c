"""Figures of posterior calibration, as PNG bytes (matplotlib, Agg backend).

TARP expected-coverage curves against the diagonal (seed 003, Figs E1–E2), PIT histograms
against the uniform line, and example one-dimensional posteriors with the true value marked
(seed 003, Fig. D3).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

_DPI = 110
TARP_BAND = 0.05  # the acceptance band drawn around the diagonal


def _to_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def tarp_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str) -> bytes:
    """An ECP curve per label ({label: (alpha [A], ecp [A])}) over the diagonal, ±0.05 band."""
    figure, axis = plt.subplots(figsize=(4.6, 4.4))
    line = np.linspace(0, 1, 2)
    axis.fill_between(line, line - TARP_BAND, line + TARP_BAND, color="0.9", label="±0.05")
    axis.plot(line, line, color="black", lw=1, ls="--", label="calibrated")
    for label, (alpha, ecp) in curves.items():
        axis.plot(alpha, ecp, lw=1.6, label=label)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_aspect("equal")
    axis.set_xlabel("credibility level α")
    axis.set_ylabel("expected coverage")
    axis.set_title(textwrap.fill(title, 60), fontsize=8)
    axis.legend(fontsize=7, loc="upper left")
    return _to_png(figure)


def pit_figure(pits: Mapping[str, np.ndarray], title: str, bins: int = 10) -> bytes:
    """A PIT histogram per label ({label: pit values [n]}), density scale, uniform line at 1."""
    n = max(1, len(pits))
    columns = min(n, 3)
    rows = -(-n // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.0 * columns, 2.5 * rows), squeeze=False, sharey=True
    )
    for axis, (label, pit) in zip(axes.ravel(), pits.items(), strict=False):
        axis.hist(np.asarray(pit), bins=bins, range=(0, 1), density=True, color="tab:blue")
        axis.axhline(1.0, color="black", ls="--", lw=1)
        axis.set_title(textwrap.fill(label, 38), fontsize=7)
        axis.set_xlabel("PIT")
    for axis in axes.ravel()[len(pits) :]:
        axis.set_visible(False)
    axes[0, 0].set_ylabel("density")
    figure.suptitle(textwrap.fill(title, 40 * columns), fontsize=9)
    figure.tight_layout()
    return _to_png(figure)


def example_posteriors_figure(
    samples: np.ndarray,
    truths: np.ndarray,
    title: str,
    column: str = "redshift",
    label: str = "posterior",
    others: Mapping[str, np.ndarray] | None = None,
) -> bytes:
    """Posterior histograms of a few objects with the true value (and median) marked.

    Args:
        samples: [k, S] draws of one column for k objects (the first model).
        truths: [k] true values.
        title: figure title.
        column: the column's name, for the axis.
        label: legend name of `samples`.
        others: optional further models' draws {label: [k, S']} drawn as outlines.
    """
    samples = np.asarray(samples, dtype=np.float64)
    k = len(samples)
    columns = min(k, 4)
    rows = -(-k // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.8 * columns, 2.3 * rows), squeeze=False)
    for i, axis in enumerate(axes.ravel()):
        if i >= k:
            axis.set_visible(False)
            continue
        values = np.concatenate([samples[i], *(v[i] for v in (others or {}).values()), [truths[i]]])
        edges = np.linspace(values.min(), values.max(), 31)
        axis.hist(samples[i], bins=edges, density=True, color="tab:blue", alpha=0.6, label=label)
        for label, other in (others or {}).items():
            axis.hist(other[i], bins=edges, density=True, histtype="step", lw=1.3, label=label)
        axis.axvline(truths[i], color="tab:red", lw=1.6, label="true")
        axis.axvline(np.median(samples[i]), color="black", ls=":", lw=1.2, label="median")
        axis.set_yticks([])
        axis.set_xlabel(column, fontsize=8)
        axis.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=6)
    figure.suptitle(textwrap.fill(title, 45 * columns), fontsize=9)
    figure.tight_layout()
    return _to_png(figure)
