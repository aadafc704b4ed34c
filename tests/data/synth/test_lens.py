"""SIE + shear lens optics checked against independent facts: div(alpha) = 2 kappa, curl-free,
the sphere limit, surface-brightness conservation, and the isophote box rule."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.data.synth.isophote_box import isophote_box
from astrobench.data.synth.lens import (
    SersicSource,
    SieLens,
    einstein_radius_arcsec,
    lensed_image,
    sersic_surface_brightness,
    sie_convergence,
    sie_deflection,
)


def _jacobian(lens: SieLens, x: np.ndarray, y: np.ndarray, h: float = 1e-5) -> np.ndarray:
    ax_px, ay_px = sie_deflection(lens, x + h, y)
    ax_mx, ay_mx = sie_deflection(lens, x - h, y)
    ax_py, ay_py = sie_deflection(lens, x, y + h)
    ax_my, ay_my = sie_deflection(lens, x, y - h)
    return np.array(
        [
            [(ax_px - ax_mx) / (2 * h), (ax_py - ax_my) / (2 * h)],
            [(ay_px - ay_mx) / (2 * h), (ay_py - ay_my) / (2 * h)],
        ]
    )


def test_sie_deflection_is_the_gradient_of_a_potential_with_its_convergence() -> None:
    """Poisson: div(alpha) = 2 kappa; a gradient field has zero curl. A sign or axis-ratio bug
    in either component breaks one of the two."""
    lens = SieLens(theta_e=1.7, axis_ratio=0.62, position_angle=0.7, centre=(0.3, -0.2))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, 50), rng.uniform(-3, 3, 50)
    jac = _jacobian(lens, x, y)
    divergence = jac[0, 0] + jac[1, 1]
    np.testing.assert_allclose(divergence, 2 * sie_convergence(lens, x, y), rtol=1e-5)
    np.testing.assert_allclose(jac[0, 1], jac[1, 0], atol=1e-6)


def test_round_limit_is_the_isothermal_sphere_and_shear_is_linear() -> None:
    x, y = np.array([1.0, -0.5, 0.2]), np.array([0.0, 2.0, -0.3])
    almost_round = SieLens(theta_e=1.3, axis_ratio=0.9999, position_angle=0.4)
    ax, ay = sie_deflection(almost_round, x, y)
    r = np.hypot(x, y)
    np.testing.assert_allclose(ax, 1.3 * x / r, atol=2e-4)
    np.testing.assert_allclose(ay, 1.3 * y / r, atol=2e-4)
    sheared = SieLens(theta_e=1.3, axis_ratio=1.0, position_angle=0.0, shear=(0.05, -0.02))
    sx, sy = sie_deflection(sheared, x, y)
    np.testing.assert_allclose(sx - 1.3 * x / r, 0.05 * x - 0.02 * y, atol=1e-12)
    np.testing.assert_allclose(sy - 1.3 * y / r, -0.02 * x - 0.05 * y, atol=1e-12)


def test_einstein_radius_of_a_known_lens() -> None:
    # sigma = 250 km/s, D_ls/D_s = 0.5: 4 pi (8.3391e-4)^2 0.5 rad = 4.3694e-6 rad = 0.9012"
    assert einstein_radius_arcsec(250.0, 0.5) == pytest.approx(0.9012, abs=1e-4)


def test_unit_source_flux_and_magnification() -> None:
    source = SersicSource(1.0, 0.3, 0.7, 0.2, (0.05, 0.0))
    no_lens = SieLens(theta_e=1e-8, axis_ratio=1.0, position_angle=0.0)
    assert lensed_image(no_lens, source, 48, 0.262).sum() == pytest.approx(1.0, rel=2e-3)
    aligned = lensed_image(SieLens(1.5, 0.8, 0.3), source, 48, 0.262)
    assert aligned.sum() > 4.0  # a source near the axis is strongly magnified
    # A ring: light at the Einstein radius, none at the centre of the deflector
    assert aligned[23:25, 23:25].sum() < 1e-2 * aligned.max()
    y, x = np.mgrid[:48, :48]
    radius = np.hypot(x + 0.5 - 24, y + 0.5 - 24) * 0.262
    peak_radius = radius.ravel()[np.argmax(aligned)]
    assert 1.0 < peak_radius < 2.0


def test_sersic_profile_integrates_to_one() -> None:
    source = SersicSource(1.5, 0.4, 0.5, 1.0, (0.0, 0.0))
    step = 0.01
    grid = np.arange(-4, 4, step) + step / 2
    x, y = np.meshgrid(grid, grid)
    total = sersic_surface_brightness(source, x, y).sum() * step**2
    assert total == pytest.approx(1.0, rel=5e-3)


def test_isophote_box_is_the_pixel_edge_bounding_box() -> None:
    image = np.zeros((10, 12))
    image[2:5, 3:9] = 5.0  # rows 2..4, columns 3..8
    image[7, 1] = 1.0  # below the threshold
    box = isophote_box(image, 2.0, min_pixels=4)
    assert box is not None and box.tolist() == [3.0, 2.0, 9.0, 5.0]
    assert isophote_box(image, 2.0, min_pixels=19) is None
