"""The box rule of synthetic fields.

A source's box is the smallest pixel-aligned rectangle holding every pixel where the source's
own noiseless, PSF-convolved flux in the detection band exceeds k times the sky sigma per pixel
(the isophote at k sigma), clipped to the image. A source with fewer than `min_pixels` such
pixels inside the image is too faint (or too far outside) to detect: it is drawn, but gets no
box. Coordinates are pixel edges: (x0, y0, x1, y1) with x1 = last column + 1.
"""

from __future__ import annotations

import numpy as np


def isophote_box(band_image: np.ndarray, threshold: float, min_pixels: int) -> np.ndarray | None:
    """Box [4] (x0, y0, x1, y1) of band_image [H, W] above `threshold`, or None."""
    above = band_image > threshold  # [H, W]
    if int(above.sum()) < min_pixels:
        return None
    rows = np.flatnonzero(above.any(axis=1))
    cols = np.flatnonzero(above.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.float32)
