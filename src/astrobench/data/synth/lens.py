"""Strong gravitational lenses: a singular isothermal ellipsoid (SIE) plus external shear, and a
Sérsic source ray-traced through it.

Deflections are closed form (Kormann, Schneider & Bartelmann 1994; written as in Keeton 2001,
"A catalog of mass models", for zero core). In the lens frame (major axis along x') with axis
ratio q < 1 and psi = sqrt(q^2 x'^2 + y'^2),

    alpha_x' = b / sqrt(1 - q^2) * arctan (sqrt(1 - q^2) x' / psi)
    alpha_y' = b / sqrt(1 - q^2) * arctanh(sqrt(1 - q^2) y' / psi)

the gradient of the potential of convergence kappa = b / (2 psi) (checked in the tests by
div(alpha) = 2 kappa; Keeton's b carries an extra factor q in his normalisation). We quote the
Einstein radius theta_E on the intermediate axis (kappa = theta_E / (2 sqrt(q x'^2 + y'^2 / q))), so
b = theta_E sqrt(q); for q -> 1 it is the singular isothermal sphere, alpha = theta_E x / |x|.
theta_E = 4 pi (sigma_v / c)^2 D_ls / D_s. External shear adds (g1 x + g2 y, g2 x - g1 y).

The source's surface brightness is evaluated at beta = theta - alpha(theta) on a grid
supersampled `SUPERSAMPLE` times per pixel (surface brightness is conserved), averaged back to
pixels (the pixel response) and convolved with the band's PSF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gamma, gammaincinv

SPEED_OF_LIGHT_KM_S = 299_792.458
ARCSEC_PER_RADIAN = 180.0 / np.pi * 3600.0
SUPERSAMPLE = 4
# Below this 1 - q the closed form loses precision: use the sphere's deflection instead.
_ROUND = 1e-6


@dataclass(frozen=True)
class SieLens:
    """An SIE + external shear deflector. Angles in arcsec, position angle in radians."""

    theta_e: float
    axis_ratio: float
    position_angle: float
    centre: tuple[float, float] = (0.0, 0.0)
    shear: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class SersicSource:
    """An elliptical Sérsic source: total (unlensed) flux 1, half-light radius along the major
    axis (arcsec), axis ratio, position angle (radians) and centre (arcsec, source plane)."""

    sersic_n: float
    half_light_radius: float
    axis_ratio: float
    position_angle: float
    centre: tuple[float, float]


def einstein_radius_arcsec(sigma_v_km_s: float, d_ls_over_d_s: float) -> float:
    """theta_E = 4 pi (sigma_v / c)^2 D_ls / D_s of a singular isothermal sphere (arcsec)."""
    return float(4 * np.pi * (sigma_v_km_s / SPEED_OF_LIGHT_KM_S) ** 2 * d_ls_over_d_s) * (
        ARCSEC_PER_RADIAN
    )


def _rotate(x: np.ndarray, y: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in a frame rotated by `angle` (its x axis along `angle`)."""
    c, s = np.cos(angle), np.sin(angle)
    return c * x + s * y, -s * x + c * y


def sie_deflection(lens: SieLens, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Deflection (alpha_x, alpha_y) in arcsec at image-plane positions x, y (arcsec)."""
    dx, dy = x - lens.centre[0], y - lens.centre[1]
    xr, yr = _rotate(dx, dy, lens.position_angle)
    q = float(np.clip(lens.axis_ratio, 0.05, 1.0))
    b = lens.theta_e * np.sqrt(q)
    radius = np.maximum(np.hypot(q * xr, yr), 1e-12)  # psi
    if 1.0 - q < _ROUND:
        ax, ay = lens.theta_e * xr / radius, lens.theta_e * yr / radius
    else:
        e = np.sqrt(1.0 - q * q)
        ax = b / e * np.arctan(e * xr / radius)
        ay = b / e * np.arctanh(np.clip(e * yr / radius, -1 + 1e-12, 1 - 1e-12))
    c, s = np.cos(lens.position_angle), np.sin(lens.position_angle)
    alpha_x, alpha_y = c * ax - s * ay, s * ax + c * ay  # back to the sky frame
    g1, g2 = lens.shear
    return alpha_x + g1 * dx + g2 * dy, alpha_y + g2 * dx - g1 * dy


def sie_convergence(lens: SieLens, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """kappa = b / (2 psi) of the SIE alone (half the divergence of its deflection)."""
    xr, yr = _rotate(x - lens.centre[0], y - lens.centre[1], lens.position_angle)
    q = float(np.clip(lens.axis_ratio, 0.05, 1.0))
    return lens.theta_e * np.sqrt(q) / (2.0 * np.maximum(np.hypot(q * xr, yr), 1e-12))


def sersic_surface_brightness(source: SersicSource, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Surface brightness (flux per arcsec^2) of a unit-flux elliptical Sérsic at x, y."""
    n, r_e, q = source.sersic_n, source.half_light_radius, source.axis_ratio
    b_n = float(gammaincinv(2 * n, 0.5))
    xr, yr = _rotate(x - source.centre[0], y - source.centre[1], source.position_angle)
    r = np.hypot(xr, yr / q)  # elliptical radius along the major axis
    total = 2 * np.pi * n * r_e**2 * q * np.exp(b_n) * b_n ** (-2 * n) * gamma(2 * n)
    return np.exp(-b_n * ((r / r_e) ** (1.0 / n) - 1.0)) / total


def lensed_image(
    lens: SieLens, source: SersicSource, size_px: int, pixel_scale_arcsec: float
) -> np.ndarray:
    """Image [H, W] (flux per pixel, before the PSF) of a unit-flux source behind `lens`.

    Pixel (i, j) is centred at ((j + 0.5 - W/2) s, (i + 0.5 - H/2) s) arcsec, the convention of
    GalSim's drawImage for an even-sized image (centre of the image at the origin).
    """
    k = SUPERSAMPLE
    fine = (np.arange(size_px * k) + 0.5) / k - size_px / 2.0  # [S k] pixel units
    x, y = np.meshgrid(fine * pixel_scale_arcsec, fine * pixel_scale_arcsec)  # [S k, S k]
    alpha_x, alpha_y = sie_deflection(lens, x, y)
    brightness = sersic_surface_brightness(source, x - alpha_x, y - alpha_y)
    pixel_area = (pixel_scale_arcsec / k) ** 2
    fine_flux = brightness * pixel_area  # [S k, S k]
    return fine_flux.reshape(size_px, k, size_px, k).sum(axis=(1, 3))  # [S, S]


def magnification(
    lens: SieLens, source: SersicSource, size_px: int, pixel_scale_arcsec: float
) -> float:
    """Total magnification of the source: lensed flux in the image over its unit flux."""
    return float(lensed_image(lens, source, size_px, pixel_scale_arcsec).sum())
