"""Figs 9-11-style density grids: the counts drawn are the 2-D histogram, and the 1:1 line is on
every panel."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.report.photoz_density import (
    DensityPanel,
    density_counts,
    density_grid_figure,
    density_grid_png,
)


def _panels() -> list[DensityPanel]:
    rng = np.random.default_rng(0)
    z = rng.uniform(0.02, 0.4, 500)
    return [
        DensityPanel("inception", z, z + rng.normal(0, 0.02, z.size)),
        DensityPanel("henghes", z, z + rng.normal(0, 0.01, z.size)),
        DensityPanel("pcm-astromae", z, z + rng.normal(0, 0.005, z.size)),
        DensityPanel("plain-vit", z, np.full(z.size, 0.2)),
    ]


def test_counts_are_the_two_dimensional_histogram() -> None:
    z_true = np.array([0.05, 0.05, 0.15, 0.35, 0.9])
    z_pred = np.array([0.06, 0.04, 0.31, 0.36, 0.1])
    counts = density_counts(z_true, z_pred, bins=4, limits=(0.0, 0.4))
    expected = np.zeros((4, 4))
    expected[0, 0] = 2  # (0.05, 0.06), (0.05, 0.04)
    expected[1, 3] = 1  # (0.15, 0.31): true bin 1, predicted bin 3
    expected[3, 3] = 1  # (0.35, 0.36); 0.9 is outside the limits
    np.testing.assert_array_equal(counts, expected)


def test_every_panel_shows_its_density_and_the_one_to_one_line() -> None:
    panels = _panels()
    figure = density_grid_figure(panels, bins=20)
    visible = [a for a in figure.axes if a.get_visible() and a.get_title()]
    assert [a.get_title() for a in visible] == [p.label for p in panels]
    for axis, panel in zip(visible, panels, strict=True):
        (line,) = axis.get_lines()
        x, y = line.get_data()
        np.testing.assert_allclose(x, y)  # ẑ = z
        (mesh,) = axis.collections
        drawn = np.nansum(np.asarray(mesh.get_array(), dtype=float))
        assert drawn == pytest.approx(
            density_counts(panel.z_true, panel.z_pred, 20, axis.get_xlim()).sum()
        )


def test_png_and_empty_input() -> None:
    assert density_grid_png(_panels()[:1], "Table IV").startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="no panels"):
        density_grid_png([])
