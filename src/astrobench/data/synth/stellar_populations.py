"""Mass-weighted stellar age and metallicity of a synthetic galaxy, consistent with its SED mix.

Star-formation histories. Each SED template stands for an exponential star-formation history
SFR(t) ∝ exp(γ t), begun FORMATION_GYR after the Big Bang and observed at the galaxy's cosmic
time, T = age(z) − FORMATION_GYR. γ is the one value that gives the template the specific
star-formation rate the catalog and the emission lines already use (TEMPLATE_LOG_SSFR):

    sSFR(γ) = γ / (1 − exp(−γ T))      (→ 1/T for constant star formation; γ < 0 declining)

The mass-weighted age of that history is the mean lookback time of its stars,

    t_MW = ∫₀ᵀ u exp(−γ u) du / ∫₀ᵀ exp(−γ u) du,

and a galaxy's t_MW is the stellar-mass-weighted mean over the templates of its main parts
(masses from `seds.template_masses`, the same Bell et al. 2003 M/L as log_mstar). Passive
(E-like) galaxies are old, star-forming irregulars young; galaxies seen at higher redshift are
younger because the universe is.

Metallicity. log10(Z_MW/Z☉) follows the stellar mass–metallicity relation of Gallazzi et al.
(2005), approximated by −0.25 + 0.35 tanh((log M* − 10) / 0.8) (−0.55 at 10⁹, +0.05 at
10¹¹ M☉), plus 0.2 (t_MW / T − 0.5): at fixed mass, galaxies that formed their stars early are
more metal-rich (Gallazzi et al. 2005, their Fig. 12). No random draw enters, so both follow
from quantities the SEDs and spectra encode (mass, template mix, redshift).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.optimize import brentq

from astrobench.data.synth.seds import TEMPLATE_LOG_SSFR

FORMATION_GYR = 0.5
_T_GRID_GYR = np.linspace(0.5, 13.5, 131)


def ssfr_per_gyr(gamma: float, duration_gyr: float) -> float:
    """sSFR (Gyr⁻¹) of SFR ∝ exp(γ t) that has run for `duration_gyr`."""
    if abs(gamma * duration_gyr) < 1e-8:
        return 1.0 / duration_gyr
    with np.errstate(over="ignore"):  # the far ends of the root bracket: sSFR -> 0
        return float(gamma / -np.expm1(-gamma * duration_gyr))


def mass_weighted_age(gamma: float, duration_gyr: float) -> float:
    """Mean lookback time (Gyr) of the stars of SFR ∝ exp(γ t) run for `duration_gyr`."""
    u = np.linspace(0.0, duration_gyr, 4001)
    weight = np.exp(-gamma * u - max(0.0, -gamma * duration_gyr))  # scaled to avoid overflow
    return float(np.trapezoid(u * weight, u) / np.trapezoid(weight, u))


def history_rate(log_ssfr_yr: float, duration_gyr: float) -> float:
    """The γ (Gyr⁻¹) whose history has sSFR 10**log_ssfr_yr (yr⁻¹) after `duration_gyr`."""
    target = 10 ** (log_ssfr_yr + 9.0)
    return float(brentq(lambda g: ssfr_per_gyr(g, duration_gyr) - target, -60.0, 60.0))


@lru_cache(maxsize=1)
def _age_table() -> np.ndarray:
    """t_MW (Gyr) [T, len(_T_GRID_GYR)] of each template's history for each duration."""
    return np.array(
        [[mass_weighted_age(history_rate(s, t), t) for t in _T_GRID_GYR] for s in TEMPLATE_LOG_SSFR]
    )


def template_ages_gyr(cosmic_age_gyr: float) -> np.ndarray:
    """Mass-weighted age (Gyr) of each template's stars, [T], seen at `cosmic_age_gyr`."""
    duration = float(np.clip(cosmic_age_gyr - FORMATION_GYR, _T_GRID_GYR[0], _T_GRID_GYR[-1]))
    table = _age_table()
    return np.array([np.interp(duration, _T_GRID_GYR, row) for row in table])


def mass_weighted_age_gyr(template_mass: np.ndarray, cosmic_age_gyr: float) -> float:
    """A galaxy's t_MW (Gyr) from its stellar mass per template [T]."""
    mass = np.asarray(template_mass, dtype=np.float64)
    return float((mass * template_ages_gyr(cosmic_age_gyr)).sum() / mass.sum())


def log_metallicity_mw(log_mstar: float, age_mw_gyr: float, cosmic_age_gyr: float) -> float:
    """log10(Z_MW / Z☉) from mass and age (see the module docstring)."""
    duration = max(cosmic_age_gyr - FORMATION_GYR, _T_GRID_GYR[0])
    relation = -0.25 + 0.35 * np.tanh((log_mstar - 10.0) / 0.8)
    return float(relation + 0.2 * (age_mw_gyr / duration - 0.5))
