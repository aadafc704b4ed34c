"""Real galaxies with no download: cutouts from the Hubble (eXtreme) Deep Field colour image.

scikit-image ships `hubble_deep_field.jpg` (872 x 1000 px, the HubbleSite 2012-37a release of the
XDF) inside its wheel. The pipeline estimates each band's background with `sep`, detects and
deblends sources on the mean background-subtracted image, and cuts centred cutouts of every
source that lies fully inside the image. The catalog records position, fluxes, segmentation
area, half-light radius and shape.

Limits: the input is an 8-bit JPEG colour composite (R, G, B channels of an already stretched
picture), not calibrated fluxes; the JPEG compression adds block artefacts; the pixel scale is
approximate (the XDF's quoted 2.3' x 2.0' over 1000 x 872 px), and there is no WCS.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.data.cutout_writer import write_cutouts
from astrobench.errors import ConfigError, DataError, InsufficientDataError

BANDS = ("R", "G", "B")
# 2.3 arcmin over 1000 px (the XDF field as quoted by HubbleSite; approximate, unverified).
PIXEL_SCALE_ARCSEC = 2.3 * 60 / 1000
SOURCE = "skimage.data.hubble_deep_field() (HubbleSite 2012-37a, Hubble eXtreme Deep Field)"
LICENSE = "public domain (NASA media guidelines, as stated by scikit-image)"
CITATION = "Illingworth et al. 2013, ApJS 209, 6 (XDF); image: NASA, ESA, G. Illingworth et al."


@dataclass(frozen=True)
class DetectionSettings:
    """Background estimation and source extraction settings (sep / SExtractor terms)."""

    threshold_sigma: float = 3.0
    min_area_px: int = 10
    background_box_px: int = 32
    background_filter_px: int = 3
    deblend_nthresh: int = 32
    deblend_cont: float = 0.005


def load_hubble_deep_field() -> np.ndarray:
    """The scikit-image HDF image, uint8 [H, W, 3]; a DataError if it cannot be read offline."""
    try:
        from skimage import data
    except ImportError as exc:
        raise DataError("scikit-image is not installed", "pip install scikit-image") from exc
    try:
        image = data.hubble_deep_field()
    except Exception as exc:  # pooch/network errors differ between scikit-image versions
        raise DataError(
            f"scikit-image could not provide hubble_deep_field.jpg ({type(exc).__name__}: {exc})",
            f"this scikit-image does not bundle it; put the file in {data.data_dir}",
        ) from exc
    return np.asarray(image)


def subtract_background(image_rgb: np.ndarray, settings: DetectionSettings) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [3, H, W] in units of full scale, background subtracted."""
    import sep

    bands = np.ascontiguousarray(image_rgb.transpose(2, 0, 1), dtype=np.float32) / 255.0
    box, filt = settings.background_box_px, settings.background_filter_px
    for band in bands:  # three bands: a tiny, fixed loop
        band -= sep.Background(band, bw=box, bh=box, fw=filt, fh=filt).back()
    return bands  # [3, H, W]


def detect_sources(bands: np.ndarray, settings: DetectionSettings) -> tuple[np.ndarray, np.ndarray]:
    """Detect and deblend on the band mean: (sep object records, segmentation map [H, W])."""
    import sep

    detection = np.ascontiguousarray(bands.mean(axis=0))  # [H, W]
    noise = float(sep.Background(detection).globalrms)
    objects, segmentation = sep.extract(
        detection,
        settings.threshold_sigma,
        err=noise,
        minarea=settings.min_area_px,
        deblend_nthresh=settings.deblend_nthresh,
        deblend_cont=settings.deblend_cont,
        segmentation_map=True,
    )
    return objects, segmentation


def source_catalog(
    bands: np.ndarray, objects: np.ndarray, segmentation: np.ndarray
) -> dict[str, np.ndarray]:
    """Per source: position, isophotal fluxes, segmentation area, half-light radius, shape."""
    import sep

    detection = np.ascontiguousarray(bands.mean(axis=0))
    n = len(objects)
    labels = segmentation.ravel()  # 0 = sky, i + 1 = object i
    area = np.bincount(labels, minlength=n + 1)[1:]
    radius, _ = sep.flux_radius(
        detection,
        objects["x"],
        objects["y"],
        6.0 * objects["a"],
        0.5,
        normflux=objects["flux"],
        subpix=5,
    )
    catalog: dict[str, np.ndarray] = {
        "x_px": objects["x"].astype(np.float64),
        "y_px": objects["y"].astype(np.float64),
        "flux": objects["flux"].astype(np.float64),
        "segmentation_area_px": area.astype(np.int64),
        "half_light_radius_px": np.asarray(radius, dtype=np.float64),
        "semi_major_px": objects["a"].astype(np.float64),
        "semi_minor_px": objects["b"].astype(np.float64),
        "theta_rad": objects["theta"].astype(np.float64),
        "peak": objects["peak"].astype(np.float64),
        "blended": ((objects["flag"] & sep.OBJ_MERGED) > 0).astype(np.int8),
    }
    for band_name, band in zip(BANDS, bands, strict=True):
        catalog[f"flux_{band_name}"] = np.bincount(labels, weights=band.ravel(), minlength=n + 1)[
            1:
        ]
    return catalog


def cut_centred(bands: np.ndarray, x_px: np.ndarray, y_px: np.ndarray, size_px: int) -> np.ndarray:
    """Cutouts [n, 3, size, size] whose pixel size//2 holds each source's centroid pixel."""
    half = size_px // 2
    offsets = np.arange(size_px) - half
    rows = np.rint(y_px).astype(np.int64)[:, None] + offsets  # [n, S]
    cols = np.rint(x_px).astype(np.int64)[:, None] + offsets  # [n, S]
    cutouts = bands[:, rows[:, :, None], cols[:, None, :]]  # [3, n, S, S]
    return np.ascontiguousarray(cutouts.transpose(1, 0, 2, 3))


def make_hdf_cutouts(
    out: str | os.PathLike[str],
    size_px: int = 32,
    settings: DetectionSettings | None = None,
    image_rgb: np.ndarray | None = None,
) -> Path:
    """Detect the sources of the HDF image and write a cutout file of those fully inside it.

    Args:
        out: The cutout file to write (atomically).
        size_px: Cutout side in pixels (>= 8).
        settings: Detection settings (defaults: 3 sigma, 10 px minimum area).
        image_rgb: An image to use instead of scikit-image's (uint8 [H, W, 3]; tests).

    Returns:
        `out`.
    """
    if size_px < 8:
        raise ConfigError(f"--size must be at least 8 px, got {size_px}")
    settings = settings or DetectionSettings()
    image = load_hubble_deep_field() if image_rgb is None else np.asarray(image_rgb)
    bands = subtract_background(image, settings)
    objects, segmentation = detect_sources(bands, settings)
    catalog = source_catalog(bands, objects, segmentation)
    catalog["object_id"] = np.arange(len(objects), dtype=np.int64)
    inside = _fully_inside(catalog["x_px"], catalog["y_px"], size_px, image.shape[:2])
    if not inside.any():
        raise InsufficientDataError(
            f"no detected source lies {size_px // 2} px inside the image ({len(objects)} detected)",
            "use a smaller --size",
        )
    kept = {name: values[inside] for name, values in catalog.items()}
    cutouts = cut_centred(bands, kept["x_px"], kept["y_px"], size_px)
    attrs: dict[str, Any] = {
        "citation": CITATION,
        "dataset": "hubble-deep-field",
        "n_detected": len(objects),
        "n_cut_at_edge": int((~inside).sum()),
        "detection_settings": str(asdict(settings)),
        "limits": "8-bit JPEG colour composite (stretched R,G,B), uncalibrated, JPEG artefacts; "
        "pixel scale approximate; no WCS",
    }
    return write_cutouts(
        out,
        cutouts,
        kept,
        bands=list(BANDS),
        pixel_scale_arcsec=PIXEL_SCALE_ARCSEC,
        survey="HST XDF colour image (JPEG)",
        source=SOURCE,
        license=LICENSE,
        image_unit="8-bit JPEG value / 255, background subtracted (uncalibrated)",
        attrs=attrs,
    )


def _fully_inside(
    x_px: np.ndarray, y_px: np.ndarray, size_px: int, shape: tuple[int, int]
) -> np.ndarray:
    half = size_px // 2
    row, col = np.rint(y_px).astype(np.int64), np.rint(x_px).astype(np.int64)
    height, width = shape
    return (
        (row - half >= 0)
        & (row - half + size_px <= height)
        & (col - half >= 0)
        & (col - half + size_px <= width)
    )


def save_cutout_grid(
    cutout_file: str | os.PathLike[str], png: str | os.PathLike[str], n_side: int = 8
) -> Path:
    """Save an n_side x n_side grid of the brightest cutouts (asinh stretch) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from astrobench.atomic import atomic_path
    from astrobench.data.cutout_file import CutoutFile

    with CutoutFile(cutout_file) as cutouts:
        order = np.argsort(-cutouts.column("flux"))[: n_side * n_side]
        images = cutouts.read_images(np.sort(order))  # [n, 3, S, S]
    rgb = np.arcsinh(np.clip(images, 0, None) / 0.02) / np.arcsinh(1 / 0.02)
    figure, axes = plt.subplots(n_side, n_side, figsize=(n_side, n_side))
    for axis, image in zip(axes.ravel(), rgb, strict=False):
        axis.imshow(np.clip(image.transpose(1, 2, 0), 0, 1), interpolation="nearest")
    for axis in axes.ravel():
        axis.set_axis_off()
    figure.subplots_adjust(0, 0, 1, 1, 0.03, 0.03)
    with atomic_path(png) as tmp:
        figure.savefig(tmp, format="png", dpi=64)
    plt.close(figure)
    return Path(png)
