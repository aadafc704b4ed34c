"""Spectra on a DESI-like grid: the galaxy's own SED mix at its redshift, emission lines, noise.

Continuum: the same template blend (and luminosity) as the image parts of the catalogued galaxy,
f_obs(lambda) = f_10pc(lambda / (1 + z)) (10 pc / D_L)^2 / (1 + z). Lines: H-alpha luminosity
from the SFR (Kennicutt 1998, 1.26e41 erg/s per Msun/yr) dimmed by A_Halpha = 1 mag, other lines
by typical ratios; [OIII]/H-beta and [NII]/H-alpha follow sSFR. Starlight is attenuated by
Calzetti dust of A_V; nebular lines by A_V / 0.44 (Calzetti 2000). Units 1e-17 erg/s/cm^2/A.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from astrobench.data.synth.cosmology import CosmologyTable
from astrobench.data.synth.seds import TEN_PC_CM, SedLibrary, dust_transmission

WAVELENGTH_MIN_ANGSTROM, WAVELENGTH_MAX_ANGSTROM = 3600.0, 9800.0
FLUX_UNIT = 1e-17  # erg/s/cm^2/A
KENNICUTT_HALPHA_ERG_S = 1.26e41
NEBULAR_TO_STELLAR_AV = 1.0 / 0.44
SPEED_OF_LIGHT_KM_S = 299792.458
RESOLVING_POWER = 3000.0
LINE_NAMES = (
    "[OII]3727",
    "Hgamma",
    "Hbeta",
    "[OIII]4959",
    "[OIII]5007",
    "[NII]6548",
    "Halpha",
    "[NII]6584",
    "[SII]6717",
    "[SII]6731",
)
LINE_REST_ANGSTROM = np.array(
    [3727.4, 4340.5, 4861.3, 4958.9, 5006.8, 6548.1, 6562.8, 6583.5, 6716.4, 6730.8]
)


def wavelength_grid(step_angstrom: float = 2.0) -> np.ndarray:
    """The observed-frame grid (A): 3600-9800 A in steps of `step_angstrom` (DESI: 0.8 A)."""
    return np.arange(WAVELENGTH_MIN_ANGSTROM, WAVELENGTH_MAX_ANGSTROM + 1e-6, step_angstrom)


def line_luminosities(sfr: float, log_ssfr: float, a_v: float) -> np.ndarray:
    """Observed (dust-dimmed) line luminosities (erg/s) in LINE_NAMES order."""
    halpha = KENNICUTT_HALPHA_ERG_S * sfr
    hbeta = halpha / 2.86  # case B Balmer decrement
    oiii = hbeta * 10 ** np.clip(0.45 * (log_ssfr + 9.8), -0.8, 0.6)
    nii = halpha * float(np.clip(0.4 - 0.15 * (log_ssfr + 10.0), 0.1, 0.6))
    intrinsic = np.array(
        [
            halpha,
            0.468 * hbeta,
            hbeta,
            oiii / 2.98,
            oiii,
            nii / 3.0,
            halpha,
            nii,
            0.16 * halpha,
            0.12 * halpha,
        ]
    )
    return intrinsic * dust_transmission(LINE_REST_ANGSTROM, a_v * NEBULAR_TO_STELLAR_AV)


def emission_line_band_flux(
    library: SedLibrary,
    sfr: float,
    log_ssfr: float,
    a_v: float,
    redshift: float,
    cosmology: CosmologyTable,
) -> np.ndarray:
    """Flux (nanomaggies) the emission lines add to each LSST band [6]."""
    d_l = cosmology.luminosity_distance(redshift)
    flux = line_luminosities(sfr, log_ssfr, a_v) / (4 * np.pi * d_l**2)
    return library.line_band_nanomaggy(flux, LINE_REST_ANGSTROM * (1 + redshift))


def noiseless_spectrum(
    wave: np.ndarray,
    weights: np.ndarray,
    redshift: float,
    sfr: float,
    log_ssfr: float,
    a_v: float,
    sigma_v_km_s: float,
    library: SedLibrary,
    cosmology: CosmologyTable,
) -> np.ndarray:
    """Continuum of the template blend `weights` [T] plus emission lines, in 1e-17 cgs per A [L]."""
    d_l = cosmology.luminosity_distance(redshift)
    rest_wave = library.rest_wavelength_angstrom
    rest_flambda = (np.asarray(weights) @ library.rest_flambda_10pc) * dust_transmission(
        rest_wave, a_v
    )  # [L_rest]
    continuum = np.interp(wave / (1 + redshift), rest_wave, rest_flambda)
    spectrum = continuum * (TEN_PC_CM / d_l) ** 2 / (1 + redshift)
    if sfr > 0:
        centres = LINE_REST_ANGSTROM * (1 + redshift)  # [K]
        fluxes = line_luminosities(sfr, log_ssfr, a_v) / (4 * np.pi * d_l**2)  # [K]
        sigma_kms = np.hypot(sigma_v_km_s, SPEED_OF_LIGHT_KM_S / (2.355 * RESOLVING_POWER))
        sigma = centres * sigma_kms / SPEED_OF_LIGHT_KM_S  # [K]
        step = np.gradient(wave)
        lo = (wave[None, :] - 0.5 * step - centres[:, None]) / (np.sqrt(2) * sigma[:, None])
        hi = (wave[None, :] + 0.5 * step - centres[:, None]) / (np.sqrt(2) * sigma[:, None])
        spectrum = spectrum + (fluxes[:, None] * 0.5 * (erf(hi) - erf(lo))).sum(axis=0) / step
    return spectrum / FLUX_UNIT


def noise_sigma(wave: np.ndarray, spectrum: np.ndarray, floor: float, photon: float) -> np.ndarray:
    """Per-pixel noise: a sky/read floor, higher at the blue and red ends, plus photon noise."""
    shape = 1.0 + 2.0 * np.exp(-(wave - WAVELENGTH_MIN_ANGSTROM) / 250.0)
    shape += 1.5 * np.clip((wave - 7500.0) / 2300.0, 0.0, None) ** 1.5
    return np.sqrt((floor * shape) ** 2 + photon * np.clip(spectrum, 0.0, None))


def observe_spectrum(
    rng: np.random.Generator, wave: np.ndarray, spectrum: np.ndarray, floor: float, photon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy spectrum and its inverse variance (float32 [L] each)."""
    sigma = noise_sigma(wave, spectrum, floor, photon)
    noisy = spectrum + sigma * rng.standard_normal(len(wave))
    return noisy.astype(np.float32), (1.0 / sigma**2).astype(np.float32)
