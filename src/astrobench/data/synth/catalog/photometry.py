"""Aperture photometry on the noisy image and asinh magnitudes (Lupton, Gunn & Szalay 1999).

Magnitudes are asinh magnitudes, as in the SDSS catalogs: they equal Pogson magnitudes
22.5 - 2.5 log10(flux / nanomaggy) for bright objects and stay finite for faint or negative flux.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POGSON = 2.5 / np.log(10.0)


@dataclass(frozen=True)
class Photometry:
    """Aperture flux, error, magnitude, magnitude error and S/N per band [C]."""

    flux_nanomaggy: np.ndarray
    flux_err_nanomaggy: np.ndarray
    mag: np.ndarray
    magerr: np.ndarray
    snr: np.ndarray


def aperture_mask(size_px: int, radius_px: float) -> np.ndarray:
    """Boolean [H, W] of pixels whose centres lie within `radius_px` of the cutout centre."""
    centre = (size_px - 1) / 2.0
    y, x = np.mgrid[:size_px, :size_px]
    return (x - centre) ** 2 + (y - centre) ** 2 <= radius_px**2


def asinh_magnitude(flux_nanomaggy: np.ndarray, softening_nanomaggy: np.ndarray) -> np.ndarray:
    """Asinh magnitude of flux (nanomaggies, zero point 22.5) with softening b (nanomaggies)."""
    b_maggy = softening_nanomaggy * 1e-9
    return -POGSON * (np.arcsinh(flux_nanomaggy * 1e-9 / (2 * b_maggy)) + np.log(b_maggy))


def asinh_magnitude_error(
    flux: np.ndarray, flux_err: np.ndarray, softening: np.ndarray
) -> np.ndarray:
    """Error of the asinh magnitude from the flux error (all in nanomaggies)."""
    return POGSON * (flux_err / (2 * softening)) / np.sqrt(1 + (flux / (2 * softening)) ** 2)


def measure(
    images: np.ndarray, variance: np.ndarray, radius_px: float, softening: np.ndarray
) -> Photometry:
    """Sum flux and variance in one circular aperture in every band of images [C, H, W]."""
    mask = aperture_mask(images.shape[-1], radius_px)
    flux = images[:, mask].sum(axis=1)  # [C]
    err = np.sqrt(variance[:, mask].sum(axis=1))  # [C]
    return Photometry(
        flux_nanomaggy=flux,
        flux_err_nanomaggy=err,
        mag=asinh_magnitude(flux, softening),
        magerr=asinh_magnitude_error(flux, err, softening),
        snr=flux / err,
    )
