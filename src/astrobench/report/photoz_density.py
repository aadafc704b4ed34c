"""Seed 001 Figs 9-11: predicted vs spectroscopic redshift as a 2-D density, one panel per
architecture, on shared axes with the 1:1 line, so every Table IV variant can be compared at a
glance (not only the best)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from astrobench.metrics import regression
from astrobench.report.figures import to_png

DEFAULT_BINS = 60


@dataclass(frozen=True)
class DensityPanel:
    """One panel: a label (the variant) and its test-set redshifts."""

    label: str
    z_true: np.ndarray
    z_pred: np.ndarray


def density_counts(
    z_true: np.ndarray, z_pred: np.ndarray, bins: int, limits: tuple[float, float]
) -> np.ndarray:
    """Objects per (true, predicted) cell on a `bins` x `bins` grid over `limits` on both axes,
    [bins (true), bins (predicted)]; objects outside the limits are not counted."""
    edges = np.linspace(limits[0], limits[1], bins + 1)
    counts, _, _ = np.histogram2d(
        np.asarray(z_true, dtype=np.float64), np.asarray(z_pred, dtype=np.float64), [edges, edges]
    )
    return counts


def shared_limits(panels: Sequence[DensityPanel]) -> tuple[float, float]:
    """One redshift range for every panel: the true redshifts' range, padded by 2 %."""
    values = np.concatenate([np.asarray(p.z_true, dtype=np.float64) for p in panels])
    low, high = float(values.min()), float(values.max())
    pad = 0.02 * max(high - low, 1e-6)
    return low - pad, high + pad


def density_grid_figure(
    panels: Sequence[DensityPanel], title: str = "", bins: int = DEFAULT_BINS
) -> Figure:
    """The figure: log-scaled density per panel, the line ẑ = z, MSE and R² in the corner."""
    from matplotlib import pyplot as plt

    if not panels:
        raise ValueError("no panels to draw")
    limits = shared_limits(panels)
    columns = min(len(panels), 3)
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.3 * columns, 3.2 * rows), squeeze=False, sharex=True, sharey=True
    )
    peak = max(density_counts(p.z_true, p.z_pred, bins, limits).max() for p in panels)
    norm = LogNorm(vmin=1, vmax=max(peak, 2))
    mesh = None
    for axis, panel in zip(axes.flat, panels, strict=False):
        counts = density_counts(panel.z_true, panel.z_pred, bins, limits)
        edges = np.linspace(*limits, bins + 1)
        shown = np.where(counts > 0, counts, np.nan).T  # [predicted, true] for pcolormesh
        mesh = axis.pcolormesh(edges, edges, shown, norm=norm, cmap="viridis")
        axis.plot(limits, limits, color="red", lw=1)
        mse = regression.mse(panel.z_true, panel.z_pred)
        r2 = regression.r2(panel.z_true, panel.z_pred)
        axis.text(0.04, 0.96, f"MSE {mse:.5f}\nR² {r2:.4f}", transform=axis.transAxes,
                  va="top", fontsize=7, color="white")  # fmt: skip
        axis.set_title(panel.label, fontsize=8)
        axis.set_xlim(limits)
        axis.set_ylim(limits)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis in axes[:, 0]:
        axis.set_ylabel("predicted redshift")
    for axis in axes[-1, :]:
        axis.set_xlabel("spectroscopic redshift")
    if mesh is not None:
        figure.colorbar(mesh, ax=axes, label="objects per cell", shrink=0.8)
    if title:
        figure.suptitle(title, fontsize=9)
    return figure


def density_grid_png(
    panels: Sequence[DensityPanel], title: str = "", bins: int = DEFAULT_BINS
) -> bytes:
    """`density_grid_figure` rendered to PNG bytes."""
    return to_png(density_grid_figure(panels, title, bins))
