"""Galaxy and star SEDs through the survey bandpasses.

Galaxy light is a blend of the four Coleman, Wu & Weedman (1980) templates shipped with GalSim
(extended by Bolzonella et al. 2000). Each template is normalised to absolute magnitude M_r = 0
(rest-frame AB r). Band fluxes are tabulated once on a redshift grid by redshifting the template
with `galsim.SED.atRedshift` and integrating it through the LSST bandpass (AB zero point), then
adding the distance modulus: k-corrections emerge from the templates, nothing is hand-coded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.integrate import trapezoid

from astrobench.data.synth.cosmology import planck18_table

TEMPLATES = ("E", "Sbc", "Scd", "Im")
# Specific star-formation rate associated with each template (yr^-1): passive, Sbc, Scd, starburst-
# like irregular; typical values for these Hubble types (e.g. Kennicutt 1998, Salim et al. 2007).
TEMPLATE_LOG_SSFR = np.array([-12.0, -10.3, -9.8, -9.1])
ALL_BANDS = ("u", "g", "r", "i", "z", "y")
TABLE_REDSHIFTS = np.linspace(0.002, 1.2, 150)
TABLE_AV = np.array([0.0, 0.5, 1.0, 2.0])  # V-band dust attenuation (mag), Calzetti et al. (2000)
CALZETTI_RV = 4.05
STAR_TEMPERATURES_K = np.array([3500.0, 4500.0, 5500.0, 6500.0, 8000.0, 10000.0])
SPEED_OF_LIGHT_ANGSTROM_S = 2.99792458e18
NANOMAGGY_ERG_S_CM2_HZ = 3.631e-29
TEN_PC_CM = 3.0856775814913673e19
# Bell et al. (2003): log10(M/L_r) = -0.306 + 1.097 (g - r)_rest (diet Salpeter IMF).
BELL_A, BELL_B = -0.306, 1.097
SUN_ABS_MAG_R = 4.65  # Willmer (2018), AB


@dataclass(frozen=True)
class SedLibrary:
    """Everything tabulated from the templates and bandpasses (cheap to pickle to workers).

    Attributes:
        band_flux_nanomaggy: [T, A, B, Z] flux of an M_r = 0 (before dust) galaxy of template T
            behind A_V = TABLE_AV[A] at TABLE_REDSHIFTS[Z].
        rest_wavelength_angstrom: [L] rest-frame grid of the spectra.
        rest_flambda_10pc: [T, L] f_lambda (erg/s/cm^2/A) of an M_r = 0 template seen from 10 pc.
        rest_g_minus_r: [T] rest-frame colour of each template.
        band_wavelength_angstrom: per band, throughput wavelengths [Lb].
        band_throughput: per band, throughput [Lb].
        band_norm: per band, the integral of throughput dlambda / lambda.
        star_flux_ratio: [S, B] band flux relative to r of blackbody stars (STAR_TEMPERATURES_K).
    """

    band_flux_nanomaggy: np.ndarray
    rest_wavelength_angstrom: np.ndarray
    rest_flambda_10pc: np.ndarray
    rest_g_minus_r: np.ndarray
    band_wavelength_angstrom: tuple[np.ndarray, ...]
    band_throughput: tuple[np.ndarray, ...]
    band_norm: np.ndarray
    star_flux_ratio: np.ndarray

    def band_fluxes(self, weights: np.ndarray, redshift: float, a_v: float = 0.0) -> np.ndarray:
        """Fluxes [B] (nanomaggies) of a blend with rest-r luminosity `weights` [T] (M_r=0 units).

        The blend sits behind `a_v` magnitudes of Calzetti dust; the table is interpolated
        bilinearly in (A_V, z) in log flux.
        """
        i, t = _bracket(TABLE_REDSHIFTS, redshift)
        j, u = _bracket(TABLE_AV, a_v)
        log_table = np.log(self.band_flux_nanomaggy[:, j : j + 2, :, i : i + 2])  # [T, 2, B, 2]
        log_flux = (1 - u) * ((1 - t) * log_table[:, 0, :, 0] + t * log_table[:, 0, :, 1]) + u * (
            (1 - t) * log_table[:, 1, :, 0] + t * log_table[:, 1, :, 1]
        )  # [T, B]
        return np.asarray(weights) @ np.exp(log_flux)

    def line_band_nanomaggy(self, flux_erg_s_cm2: np.ndarray, wave_obs: np.ndarray) -> np.ndarray:
        """Band fluxes [B] (nanomaggies) of lines of given fluxes at observed wavelengths."""
        out = np.zeros(len(ALL_BANDS))
        for b in range(len(ALL_BANDS)):
            thr = np.interp(
                wave_obs, self.band_wavelength_angstrom[b], self.band_throughput[b], 0, 0
            )
            f_nu = flux_erg_s_cm2 * thr * wave_obs / (SPEED_OF_LIGHT_ANGSTROM_S * self.band_norm[b])
            out[b] = f_nu.sum() / NANOMAGGY_ERG_S_CM2_HZ
        return out


def _bracket(grid: np.ndarray, value: float) -> tuple[int, float]:
    i = int(np.clip(np.searchsorted(grid, value) - 1, 0, len(grid) - 2))
    return i, float(np.clip((value - grid[i]) / (grid[i + 1] - grid[i]), 0.0, 1.0))


def calzetti_k(wave_angstrom: np.ndarray) -> np.ndarray:
    """Calzetti et al. (2000) starburst attenuation curve k(lambda) = A_lambda / E(B-V)."""
    lam = np.clip(np.asarray(wave_angstrom, dtype=float) / 1e4, 0.09, 2.2)  # micron
    blue = 2.659 * (-2.156 + 1.509 / lam - 0.198 / lam**2 + 0.011 / lam**3) + CALZETTI_RV
    red = 2.659 * (-1.857 + 1.040 / lam) + CALZETTI_RV
    return np.clip(np.where(lam < 0.63, blue, red), 0.0, None)


def dust_transmission(wave_angstrom: np.ndarray, a_v: float) -> np.ndarray:
    """Fraction of light that passes `a_v` magnitudes (V band) of Calzetti dust."""
    return 10 ** (-0.4 * a_v * calzetti_k(wave_angstrom) / CALZETTI_RV)


def blend_weights(activity: float) -> np.ndarray:
    """Template weights [T] summing to 1: activity 0 = E, 1/3 = Sbc, 2/3 = Scd, 1 = Im."""
    position = float(np.clip(activity, 0.0, 1.0)) * (len(TEMPLATES) - 1)
    low = min(int(position), len(TEMPLATES) - 2)
    weights = np.zeros(len(TEMPLATES))
    weights[low] = 1.0 - (position - low)
    weights[low + 1] = position - low
    return weights


def template_masses(weights: np.ndarray, library: SedLibrary) -> np.ndarray:
    """Stellar mass (Msun) [T] of each template of a component with rest-r luminosity `weights`."""
    l_r_sun = np.asarray(weights) * 10 ** (0.4 * SUN_ABS_MAG_R)  # [T] in L_sun
    return l_r_sun * 10 ** (BELL_A + BELL_B * library.rest_g_minus_r)


def stellar_mass_and_sfr(weights: np.ndarray, library: SedLibrary) -> tuple[float, float]:
    """Stellar mass (Msun) and SFR (Msun/yr) of a component with rest-r luminosity `weights`."""
    mass = template_masses(weights, library)
    return float(mass.sum()), float((mass * 10**TEMPLATE_LOG_SSFR).sum())


def _bandpass(band: str) -> Any:
    import galsim

    return galsim.Bandpass(f"LSST_{band}.dat", wave_type="nm").withZeropoint("AB")


def _template_sed(name: str) -> Any:
    import galsim

    return galsim.SED(f"CWW_{name}_ext.sed", wave_type="Ang", flux_type="flambda")


def _ab_mag_numpy(
    wave_a: np.ndarray, flambda: np.ndarray, bw: np.ndarray, thr: np.ndarray
) -> float:
    t = np.interp(wave_a, bw, thr, 0, 0)
    f_nu = flambda * wave_a**2 / SPEED_OF_LIGHT_ANGSTROM_S
    num = trapezoid(f_nu * t / wave_a, wave_a)
    den = trapezoid(3631e-23 * t / wave_a, wave_a)
    return float(-2.5 * np.log10(num / den))


@lru_cache(maxsize=1)
def sed_library() -> SedLibrary:
    """Tabulate the templates and bandpasses (about a second; cached per process)."""
    bandpasses = [_bandpass(b) for b in ALL_BANDS]
    band_wave = tuple(np.asarray(bp.wave_list) * 10.0 for bp in bandpasses)
    band_thr = tuple(np.asarray(bp(np.asarray(bp.wave_list))) for bp in bandpasses)
    band_norm = np.array([trapezoid(t / w, w) for w, t in zip(band_wave, band_thr, strict=True)])
    distmod = np.interp(TABLE_REDSHIFTS, *_distmod_grid())
    rest_wave = np.geomspace(1000.0, 22000.0, 4000)
    table = np.empty((len(TEMPLATES), len(TABLE_AV), len(ALL_BANDS), len(TABLE_REDSHIFTS)))
    rest_flambda = np.empty((len(TEMPLATES), len(rest_wave)))
    g_minus_r = np.empty(len(TEMPLATES))
    for t, name in enumerate(TEMPLATES):
        sed = _template_sed(name)
        rest_mag_r = sed.calculateMagnitude(bandpasses[2])
        g_minus_r[t] = sed.calculateMagnitude(bandpasses[1]) - rest_mag_r
        table[t] = _redshift_table(sed, bandpasses, rest_mag_r, distmod)
        raw = np.asarray(sed(rest_wave / 10.0))  # photons/nm/cm^2/s up to a constant
        flambda = raw / rest_wave  # proportional to f_lambda
        flambda *= 10 ** (0.4 * _ab_mag_numpy(rest_wave, flambda, band_wave[2], band_thr[2]))
        rest_flambda[t] = flambda
    return SedLibrary(
        band_flux_nanomaggy=table,
        rest_wavelength_angstrom=rest_wave,
        rest_flambda_10pc=rest_flambda,
        rest_g_minus_r=g_minus_r,
        band_wavelength_angstrom=band_wave,
        band_throughput=band_thr,
        band_norm=band_norm,
        star_flux_ratio=_star_flux_ratios(band_wave, band_thr),
    )


def _redshift_table(
    sed: Any, bandpasses: list[Any], rest_mag_r: float, distmod: np.ndarray
) -> np.ndarray:
    """[A, B, Z] fluxes (nanomaggies) of an M_r = 0 template behind each TABLE_AV at each z."""
    import galsim

    wave_nm = np.geomspace(10.0, 2200.0, 2000)
    out = np.empty((len(TABLE_AV), len(bandpasses), len(TABLE_REDSHIFTS)))
    for a, a_v in enumerate(TABLE_AV):
        dusty = (
            sed * galsim.LookupTable(wave_nm, dust_transmission(wave_nm * 10, a_v)) if a_v else sed
        )
        for b, bp in enumerate(bandpasses):
            mags = np.array([dusty.atRedshift(z).calculateMagnitude(bp) for z in TABLE_REDSHIFTS])
            out[a, b] = 10 ** (-0.4 * (mags - rest_mag_r + distmod - 22.5))
    return out


def _distmod_grid() -> tuple[np.ndarray, np.ndarray]:
    table = planck18_table()
    return table.redshift, table.distance_modulus_mag


def _star_flux_ratios(
    band_wave: tuple[np.ndarray, ...], band_thr: tuple[np.ndarray, ...]
) -> np.ndarray:
    wave = np.geomspace(2000.0, 12000.0, 2000)
    ratios = np.empty((len(STAR_TEMPERATURES_K), len(ALL_BANDS)))
    for s, temperature in enumerate(STAR_TEMPERATURES_K):
        planck = 1.0 / (wave**5 * np.expm1(1.4387769e8 / (wave * temperature)))  # B_lambda shape
        mags = np.array(
            [_ab_mag_numpy(wave, planck, w, t) for w, t in zip(band_wave, band_thr, strict=True)]
        )
        ratios[s] = 10 ** (-0.4 * (mags - mags[2]))
    return ratios
