"""One strong-lens system in a field: a massive elliptical (SIE + shear mass, de Vaucouleurs
light) and a blue Sérsic source behind it, drawn in every band (see lens.py for the optics).

Physics, all drawn from the field's generator:
- lens redshift z_l ~ U(0.2, 0.6), source z_s ~ U(0.9, 1.2) (the SED table's reach);
- velocity dispersion sigma_v ~ U(300, 420) km/s -> theta_E = 4 pi (sigma_v / c)^2 D_ls / D_s
  (Planck18 distances; about 1.2-3.5 arcsec, the lenses resolvable at Legacy Surveys seeing);
- mass axis ratio q ~ U(0.6, 1), external shear |gamma| ~ U(0, 0.06), random orientations;
- lens light: Faber-Jackson L ~ sigma^4 normalised so sigma_v = 200 km/s gives M_r = -20.2,
  spheroid size relation of population.py, passive (E) SED, light aligned with the mass;
- source: star-forming (Scd-Im) SED, M_r ~ U(-23, -21) (magnification bias favours bright
  sources), half-light radius 0.15-0.5 arcsec, Sérsic n 1-1.5, placed within 0.4 theta_E of
  the lens axis so it is multiply imaged (arcs and rings).
"""

from __future__ import annotations

from dataclasses import dataclass

import galsim
import numpy as np
from scipy.signal import fftconvolve

from astrobench.data.synth.cosmology import CosmologyTable
from astrobench.data.synth.lens import SersicSource, SieLens, einstein_radius_arcsec, lensed_image
from astrobench.data.synth.morphology import GSPARAMS, sersic
from astrobench.data.synth.presets import SurveyPreset
from astrobench.data.synth.render import ScenePart, band_psfs, draw_scene
from astrobench.data.synth.seds import ALL_BANDS, SedLibrary, blend_weights

PSF_STAMP_PX = 41


@dataclass
class LensSystem:
    """The drawn system: noiseless images [C, H, W] of the deflector and of the arcs."""

    deflector: np.ndarray
    arcs: np.ndarray
    theta_e_arcsec: float
    z_lens: float
    z_source: float
    magnification: float


def _comoving(cosmology: CosmologyTable, z: float) -> float:
    return cosmology.luminosity_distance(z) / (1.0 + z)


def _fluxes(library: SedLibrary, preset: SurveyPreset, activity: float, abs_mag: float, z: float):
    bands = [ALL_BANDS.index(b) for b in preset.bands]
    return library.band_fluxes(blend_weights(activity) * 10 ** (-0.4 * abs_mag), z)[bands]


def _psf_kernels(preset: SurveyPreset) -> list[np.ndarray]:
    """Unit-sum PSF images [P, P] per band, without the pixel (the arcs are pixel-integrated)."""
    return [
        psf.drawImage(
            nx=PSF_STAMP_PX, ny=PSF_STAMP_PX, scale=preset.pixel_scale_arcsec, method="no_pixel"
        ).array
        for psf in band_psfs(preset)
    ]


def draw_lens_system(
    rng: np.random.Generator,
    preset: SurveyPreset,
    size_px: int,
    position_arcsec: tuple[float, float],
    library: SedLibrary,
    cosmology: CosmologyTable,
) -> LensSystem:
    """Draw a lens centred at `position_arcsec` (from the field centre) in every band."""
    z_l, z_s = float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.9, 1.2))
    sigma_v = float(rng.uniform(300.0, 420.0))
    d_ratio = 1.0 - _comoving(cosmology, z_l) / _comoving(cosmology, z_s)  # D_ls / D_s (flat)
    q = float(rng.uniform(0.6, 1.0))
    angle = float(rng.uniform(0, np.pi))
    shear = float(rng.uniform(0, 0.06))
    shear_angle = float(rng.uniform(0, np.pi))
    lens = SieLens(
        einstein_radius_arcsec(sigma_v, d_ratio),
        q,
        angle,
        position_arcsec,
        (shear * np.cos(2 * shear_angle), shear * np.sin(2 * shear_angle)),
    )
    offset = lens.theta_e * 0.4 * np.sqrt(rng.uniform(0, 1))
    phi = rng.uniform(0, 2 * np.pi)
    source = SersicSource(
        float(rng.choice([1.0, 1.5])),
        float(rng.uniform(0.15, 0.5)),
        float(rng.uniform(0.4, 1.0)),
        float(rng.uniform(0, np.pi)),
        (position_arcsec[0] + offset * np.cos(phi), position_arcsec[1] + offset * np.sin(phi)),
    )
    unit = lensed_image(lens, source, size_px, preset.pixel_scale_arcsec)  # [H, W]
    source_flux = _fluxes(library, preset, rng.uniform(0.75, 1.0), rng.uniform(-23.0, -21.0), z_s)
    kernels = _psf_kernels(preset)
    arcs = np.stack(
        [f * fftconvolve(unit, k, mode="same") for f, k in zip(source_flux, kernels, strict=True)]
    )  # [C, H, W]
    return LensSystem(
        _deflector(rng, preset, size_px, lens, sigma_v, z_l, library, cosmology),
        arcs,
        lens.theta_e,
        z_l,
        z_s,
        float(unit.sum()),
    )


def _deflector(
    rng: np.random.Generator,
    preset: SurveyPreset,
    size_px: int,
    lens: SieLens,
    sigma_v: float,
    z_l: float,
    library: SedLibrary,
    cosmology: CosmologyTable,
) -> np.ndarray:
    abs_mag = -20.2 - 10.0 * np.log10(sigma_v / 200.0)  # Faber-Jackson, L ~ sigma^4
    hlr_kpc = 2.6 * 10 ** (-0.24 * (abs_mag + 21.0) + rng.normal(0, 0.1))
    hlr = float(min(hlr_kpc * cosmology.arcsec_per_kpc(z_l), 3.0))
    profile = sersic(4.0, hlr).shear(q=lens.axis_ratio, beta=lens.position_angle * galsim.radians)
    profile = profile.shift(*lens.centre).withGSParams(GSPARAMS)
    flux = _fluxes(library, preset, float(rng.uniform(0.0, 0.08)), abs_mag, z_l)
    return draw_scene([ScenePart(profile, flux)], preset, size_px)
