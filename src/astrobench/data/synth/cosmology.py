"""Distances from a standard cosmology (astropy's Planck18), tabulated once on a redshift grid."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

REDSHIFT_GRID = np.linspace(0.002, 1.2, 600)


@dataclass(frozen=True)
class CosmologyTable:
    """Planck18 distances on `redshift` (interpolated linearly in between).

    Attributes:
        redshift: grid [Z].
        distance_modulus_mag: 5 log10(D_L / 10 pc) [Z].
        luminosity_distance_cm: D_L [Z].
        kpc_per_arcsec: proper transverse size of one arcsecond [Z].
        age_gyr: age of the universe [Z].
    """

    redshift: np.ndarray
    distance_modulus_mag: np.ndarray
    luminosity_distance_cm: np.ndarray
    kpc_per_arcsec: np.ndarray
    age_gyr: np.ndarray

    def distance_modulus(self, z: float) -> float:
        """Distance modulus (mag) at redshift z."""
        return float(np.interp(z, self.redshift, self.distance_modulus_mag))

    def luminosity_distance(self, z: float) -> float:
        """Luminosity distance (cm) at redshift z."""
        return float(np.interp(z, self.redshift, self.luminosity_distance_cm))

    def arcsec_per_kpc(self, z: float) -> float:
        """Angular size (arcsec) of one proper kpc at redshift z."""
        return 1.0 / float(np.interp(z, self.redshift, self.kpc_per_arcsec))

    def age(self, z: float) -> float:
        """Age of the universe (Gyr) at redshift z."""
        return float(np.interp(z, self.redshift, self.age_gyr))


@lru_cache(maxsize=1)
def planck18_table() -> CosmologyTable:
    """The tabulated Planck18 cosmology (computed once per process)."""
    from astropy import units as u
    from astropy.cosmology import Planck18

    z = REDSHIFT_GRID
    return CosmologyTable(
        redshift=z,
        distance_modulus_mag=np.asarray(Planck18.distmod(z).to_value(u.mag)),
        luminosity_distance_cm=np.asarray(Planck18.luminosity_distance(z).to_value(u.cm)),
        kpc_per_arcsec=np.asarray(Planck18.kpc_proper_per_arcmin(z).to_value(u.kpc / u.arcmin))
        / 60.0,
        age_gyr=np.asarray(Planck18.age(z).to_value(u.Gyr)),
    )
