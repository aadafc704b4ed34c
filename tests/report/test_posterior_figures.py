"""Posterior figures render to PNGs whose pixels depend on the data drawn."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from astrobench.metrics import calibration as cal
from astrobench.report import posterior_figures as pf


def pixels(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG")
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)


def test_tarp_pit_and_example_figures_draw_their_data() -> None:
    rng = np.random.default_rng(0)
    truths = rng.normal(size=300)
    good = truths[:, None] * 0 + rng.normal(size=(300, 100))
    shrunk = good / 3
    curves = {
        name: (result.alpha, result.ecp)
        for name, result in (
            ("a", cal.tarp_coverage(good, truths)),
            ("b", cal.tarp_coverage(shrunk, truths)),
        )
    }
    one = pixels(pf.tarp_figure(curves, "TARP"))
    other = pixels(pf.tarp_figure({"a": curves["a"]}, "TARP"))
    assert one.shape == other.shape and np.abs(one - other).mean() > 0.1
    pit = pixels(
        pf.pit_figure(
            {"a": cal.pit_values(good, truths), "b": cal.pit_values(shrunk, truths)}, "PIT"
        )
    )
    assert pit.shape[1] > pit.shape[0]  # two panels side by side
    examples = pixels(
        pf.example_posteriors_figure(good[:5], truths[:5], "p(z)", others={"b": shrunk[:5]})
    )
    assert examples.std() > 10  # not blank
