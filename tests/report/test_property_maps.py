"""Property maps: the class-balanced sample and the figure."""

from __future__ import annotations

import numpy as np

from astrobench.report.property_maps import Colouring, balanced_sample, property_maps


def test_balanced_sample_takes_up_to_n_of_every_class() -> None:
    labels = np.array([0] * 50 + [1] * 3 + [2] * 20)
    chosen = balanced_sample(labels, 10, seed=1)
    counts = np.bincount(labels[chosen])
    assert counts.tolist() == [10, 3, 10] and np.all(np.diff(chosen) > 0)
    assert not np.array_equal(chosen, balanced_sample(labels, 10, seed=2))


def test_property_maps_draws_every_panel() -> None:
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(40, 2))
    colourings = [
        Colouring("class", rng.integers(0, 3, 40), ["a", "b", "c"]),
        Colouring("redshift", rng.uniform(0, 1, 40)),
    ]
    png = property_maps({"image": (xy, "PCA"), "spectrum": (xy[::-1], "PCA")}, colourings, "t")
    assert png[:4] == b"\x89PNG" and len(png) > 20_000
