"""Draw one catalogued galaxy: redshift, luminosity, sizes, SED mix, structure and band fluxes.

Redshifts follow p(z) ~ z^2 exp(-(z/z0)^1.5) (a magnitude-limited survey's shape); absolute
magnitudes follow the r-band Schechter function of Blanton et al. (2003), truncated at the
survey's spectroscopic limit with the galaxy's own k-correction. Sizes follow luminosity-size
relations in the spirit of Shen et al. (2003), converted to arcsec with Planck18.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astrobench.data.synth.classes import (
    CLASS_ACTIVITY,
    CLASS_BUILDERS,
    CLASS_MAGNITUDE_OFFSET,
    CLASS_MEAN_AV,
)
from astrobench.data.synth.cosmology import CosmologyTable
from astrobench.data.synth.morphology import SMOOTH_CLASSES, Sizes, Structure
from astrobench.data.synth.presets import SurveyPreset
from astrobench.data.synth.seds import (
    SedLibrary,
    blend_weights,
    stellar_mass_and_sfr,
    template_masses,
)
from astrobench.data.synth.stellar_populations import log_metallicity_mw, mass_weighted_age_gyr

SCHECHTER_M_STAR, SCHECHTER_ALPHA = -21.21, -1.05  # Blanton et al. 2003, h = 0.7
MAG_BRIGHTEST, MAG_FAINTEST = -24.0, -16.0
_MAG_GRID = np.linspace(MAG_BRIGHTEST, MAG_FAINTEST, 801)
_X = 10 ** (-0.4 * (_MAG_GRID - SCHECHTER_M_STAR))
_SCHECHTER_CDF = np.cumsum(_X ** (SCHECHTER_ALPHA + 1) * np.exp(-_X))
_SCHECHTER_CDF /= _SCHECHTER_CDF[-1]


@dataclass
class Galaxy:
    """A drawn galaxy: its structure, physical properties and per-part band fluxes [P, B]."""

    label: int
    redshift: float
    abs_mag_r: float
    structure: Structure
    part_weights: list[np.ndarray]  # per part: [T] rest-r luminosity in units of L(M_r = 0)
    part_flux_nanomaggy: np.ndarray  # [P, 6] continuum + line flux in LSST ugrizy
    a_v: float  # V-band dust attenuation (mag) of the main galaxy's parts
    log_mstar: float
    log_ssfr: float
    sfr_msun_per_yr: float
    half_light_radius_arcsec: float
    age_mw_gyr: float  # mass-weighted stellar age (stellar_populations.py)
    log_zmw: float  # log10 of the mass-weighted stellar metallicity in solar units


def draw_redshift(rng: np.random.Generator, preset: SurveyPreset) -> float:
    """One redshift from p(z) ~ z^2 exp(-(z/z0)^1.5) on [z_min, z_max] (inverse CDF on a grid)."""
    z = np.linspace(preset.redshift_min, preset.redshift_max, 2000)
    pdf = z**2 * np.exp(-((z / preset.redshift_scale) ** 1.5))
    cdf = np.cumsum(pdf)
    return float(np.interp(rng.uniform(0, cdf[-1]), cdf, z))


def draw_abs_mag(rng: np.random.Generator, faintest: float) -> float:
    """One absolute magnitude from the Schechter function, brighter than `faintest`."""
    faintest = float(np.clip(faintest, MAG_BRIGHTEST + 0.5, MAG_FAINTEST))
    top = float(np.interp(faintest, _MAG_GRID, _SCHECHTER_CDF))
    return float(np.interp(rng.uniform(0, top), _SCHECHTER_CDF, _MAG_GRID))


def draw_sizes(
    rng: np.random.Generator, label: int, abs_mag: float, arcsec_per_kpc: float, max_arcsec: float
) -> Sizes:
    """Disk and bulge half-light radii (arcsec); the rare galaxy whose disk half-light radius
    exceeds `max_arcsec` (a quarter of the cutout) is shrunk to it so its centre stays visible."""
    disk_kpc = 4.0 * 10 ** (-0.104 * (abs_mag + 21.0) + rng.normal(0, 0.15))
    if label in SMOOTH_CLASSES:
        bulge_kpc = 2.6 * 10 ** (-0.24 * (abs_mag + 21.0) + rng.normal(0, 0.12))
        disk_kpc = 1.3 * bulge_kpc
    elif label == 9:
        bulge_kpc = disk_kpc * rng.uniform(0.25, 0.45)
    else:
        bulge_kpc = disk_kpc * rng.uniform(0.15, 0.35)
    scale = min(1.0, max_arcsec / (disk_kpc * arcsec_per_kpc))
    return Sizes(
        disk_kpc * arcsec_per_kpc * scale, bulge_kpc * arcsec_per_kpc * scale, 1.1 * max_arcsec
    )


def draw_galaxy(
    rng: np.random.Generator,
    label: int,
    preset: SurveyPreset,
    size_px: int,
    library: SedLibrary,
    cosmology: CosmologyTable,
) -> Galaxy:
    """Draw the catalogued galaxy of one cutout (structure, physics and fluxes)."""
    from astrobench.data.synth.spectra import emission_line_band_flux

    z = draw_redshift(rng, preset)
    activity = float(rng.uniform(*CLASS_ACTIVITY[label]))
    a_v = float(min(rng.exponential(CLASS_MEAN_AV[label]), 2.0))
    r_at_zero_mag = library.band_fluxes(blend_weights(activity), z, a_v)[2]
    faintest = preset.mag_limit_r - (22.5 - 2.5 * np.log10(r_at_zero_mag))
    abs_mag = draw_abs_mag(rng, faintest) + CLASS_MAGNITUDE_OFFSET[label]
    max_arcsec = 0.25 * size_px * preset.pixel_scale_arcsec
    sizes = draw_sizes(rng, label, abs_mag, cosmology.arcsec_per_kpc(z), max_arcsec)
    structure = CLASS_BUILDERS[label](rng, sizes, activity)
    luminosity = 10 ** (-0.4 * abs_mag)
    weights = [p.fraction * luminosity * blend_weights(p.activity) for p in structure.parts]
    part_av = [a_v if p.main else 0.5 * a_v for p in structure.parts]
    flux = np.stack(
        [library.band_fluxes(w, z, av) for w, av in zip(weights, part_av, strict=True)]
    )  # [P, 6]
    mass_sfr = np.array([stellar_mass_and_sfr(w, library) for w in weights])  # [P, 2]
    main = np.array([p.main for p in structure.parts])
    mass, sfr = mass_sfr[main].sum(axis=0)
    log_ssfr = float(np.log10(max(sfr, 1e-30) / mass))
    # Lines come from where the stars form: shared among the main parts in proportion to SFR.
    lines = emission_line_band_flux(library, sfr, log_ssfr, a_v, z, cosmology)  # [6]
    share = mass_sfr[:, 1] * main
    flux += np.outer(share / max(share.sum(), 1e-30), lines)
    by_template = np.sum([template_masses(w, library) for w in np.asarray(weights)[main]], axis=0)
    age_mw = mass_weighted_age_gyr(by_template, cosmology.age(z))
    return Galaxy(
        label,
        z,
        abs_mag,
        structure,
        weights,
        flux,
        a_v,
        float(np.log10(mass)),
        log_ssfr,
        float(sfr),
        combined_half_light_radius(structure),
        age_mw,
        log_metallicity_mw(float(np.log10(mass)), age_mw, cosmology.age(z)),
    )


def combined_half_light_radius(structure: Structure) -> float:
    """Circularised half-light radius (arcsec) of bulge (Sérsic n) + disk (n = 1), PSF-free."""
    from scipy.special import gammainc, gammaincinv

    radii = np.geomspace(0.01, 50.0, 600) * max(
        structure.disk_hlr_arcsec, structure.bulge_hlr_arcsec
    )
    enclosed = np.zeros_like(radii)
    for n, hlr, frac in (
        (structure.sersic_n, structure.bulge_hlr_arcsec, structure.bulge_fraction),
        (1.0, structure.disk_hlr_arcsec, 1.0 - structure.bulge_fraction),
    ):
        b_n = gammaincinv(2 * n, 0.5)
        enclosed += frac * gammainc(2 * n, b_n * (radii / hlr) ** (1 / n))
    return float(np.interp(0.5, enclosed, radii))
