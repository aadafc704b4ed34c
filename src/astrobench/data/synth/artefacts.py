"""Image artefacts of synthetic fields (never boxed: a detector must learn to ignore them).

- cosmic rays: short, sharp tracks of 1-6 pixels in one band only, 20-200 sky sigma;
- satellite trail: a straight line across the field, 1-2 pixels wide, in one band only;
- bad column: one column of one band offset by 5-30 sky sigma;
- masked edge: a zeroed strip of 2-8 pixels along one edge (render.mask_edge), all bands.
"""

from __future__ import annotations

import numpy as np

from astrobench.data.synth.field_presets import FieldPreset
from astrobench.data.synth.render import mask_edge


def add_cosmic_rays(
    rng: np.random.Generator, image: np.ndarray, sky_sigma: np.ndarray, count: int
) -> None:
    """Add `count` cosmic-ray tracks in place to image [C, H, W]."""
    channels, height, width = image.shape
    for _ in range(count):
        band = int(rng.integers(channels))
        length = int(rng.integers(1, 7))
        angle = rng.uniform(0, np.pi)
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        steps = np.arange(length)
        xs = np.clip((x0 + steps * np.cos(angle)).astype(int), 0, width - 1)
        ys = np.clip((y0 + steps * np.sin(angle)).astype(int), 0, height - 1)
        image[band, ys, xs] += rng.uniform(20, 200) * sky_sigma[band]


def add_satellite_trail(rng: np.random.Generator, image: np.ndarray, sky_sigma: np.ndarray) -> None:
    """Add a straight trail across image [C, H, W] in one band, in place."""
    channels, height, width = image.shape
    band = int(rng.integers(channels))
    angle = rng.uniform(0, np.pi)
    x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
    y, x = np.mgrid[:height, :width]
    distance = np.abs((x + 0.5 - x0) * np.sin(angle) - (y + 0.5 - y0) * np.cos(angle))
    half_width = rng.uniform(0.5, 1.0)
    image[band] += (
        np.exp(-0.5 * (distance / half_width) ** 2) * rng.uniform(3, 15) * sky_sigma[band]
    )


def add_bad_column(rng: np.random.Generator, image: np.ndarray, sky_sigma: np.ndarray) -> None:
    """Offset one column of one band of image [C, H, W], in place."""
    band = int(rng.integers(image.shape[0]))
    column = int(rng.integers(image.shape[2]))
    image[band, :, column] += rng.uniform(5, 30) * sky_sigma[band]


def add_artefacts(
    rng: np.random.Generator, image: np.ndarray, sky_sigma: np.ndarray, preset: FieldPreset
) -> tuple[np.ndarray, dict[str, int]]:
    """The noisy field [C, H, W] with artefacts drawn at the preset's rates, and their counts."""
    out = image.copy()
    flags = {
        "n_cosmic_rays": int(rng.poisson(preset.cosmic_ray_rate)),
        "has_satellite_trail": int(rng.random() < preset.trail_probability),
        "has_bad_column": int(rng.random() < preset.bad_column_probability),
        "has_masked_edge": int(rng.random() < preset.masked_edge_probability),
    }
    add_cosmic_rays(rng, out, sky_sigma, flags["n_cosmic_rays"])
    if flags["has_satellite_trail"]:
        add_satellite_trail(rng, out, sky_sigma)
    if flags["has_bad_column"]:
        add_bad_column(rng, out, sky_sigma)
    if flags["has_masked_edge"]:
        out = mask_edge(rng, out)
    return out, flags
