"""Survey presets: bands, pixel scale, seeing, sky, depth and selection of each simulated survey.

The numbers and their sources are collected in docs/synthetic_survey.md. Images are in
nanomaggies (AB zero point 22.5), the unit of both SDSS and the DESI Legacy Surveys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from astrobench.errors import ConfigError, UnknownNameError

ZEROPOINT_AB_NANOMAGGY = 22.5


@dataclass(frozen=True)
class SurveyPreset:
    """Everything that distinguishes one simulated survey from another.

    Attributes:
        name: preset name (``sdss`` or ``desi-ls``).
        bands: band names; each must be one of LSST ugrizy (the GalSim bandpasses used).
        pixel_scale_arcsec: pixel size.
        size_px: default cutout side in pixels.
        max_size_px: largest allowed cutout side.
        seeing_fwhm_arcsec: Moffat PSF FWHM per band.
        moffat_beta: Moffat PSF wing parameter.
        sky_mag_per_arcsec2: dark-sky surface brightness per band (AB mag / arcsec^2).
        depth_5sigma_point_mag: 5-sigma point-source depth per band (AB mag).
        asinh_softening_nanomaggy: softening b of asinh magnitudes per band; None: 1.042 sigma.
        mag_limit_r: spectroscopic selection limit in r (AB).
        redshift_min, redshift_max: support of the redshift distribution.
        redshift_scale: z0 of p(z) ~ z^2 exp(-(z/z0)^1.5).
        spectrum_noise_floor: sky-limited spectral noise (1e-17 erg/s/cm^2/A per pixel).
        spectrum_photon_noise: variance per unit flux of the object's own photons.
        class_fractions: Galaxy10 DECaLS class counts (relative).
    """

    name: str
    bands: tuple[str, ...]
    pixel_scale_arcsec: float
    size_px: int
    max_size_px: int
    seeing_fwhm_arcsec: dict[str, float]
    moffat_beta: float
    sky_mag_per_arcsec2: dict[str, float]
    depth_5sigma_point_mag: dict[str, float]
    asinh_softening_nanomaggy: dict[str, float] | None
    mag_limit_r: float
    redshift_min: float
    redshift_max: float
    redshift_scale: float
    spectrum_noise_floor: float
    spectrum_photon_noise: float
    neighbour_probability: float = 0.2
    star_probability: float = 0.1
    edge_artefact_probability: float = 0.02
    class_fractions: tuple[float, ...] = field(
        # Galaxy10 DECaLS: 1081, 1853, 2645, 2027, 334, 2043, 1829, 2628, 1423, 1873 of 17736.
        default=(1081, 1853, 2645, 2027, 334, 2043, 1829, 2628, 1423, 1873)
    )

    def resolve_size(self, size_px: int | None) -> int:
        """The cutout side to use; raise ConfigError when it is outside [16, max_size_px]."""
        size = self.size_px if size_px is None else int(size_px)
        if not 16 <= size <= self.max_size_px:
            raise ConfigError(
                f"--size {size} is outside 16..{self.max_size_px} for preset {self.name!r}",
                f"choose a size between 16 and {self.max_size_px} pixels",
            )
        return size


SDSS = SurveyPreset(
    name="sdss",
    bands=("u", "g", "r", "i", "z"),
    pixel_scale_arcsec=0.396,
    size_px=64,
    max_size_px=128,
    seeing_fwhm_arcsec={"u": 1.57, "g": 1.48, "r": 1.40, "i": 1.35, "z": 1.31},
    moffat_beta=3.5,
    sky_mag_per_arcsec2={"u": 22.1, "g": 21.7, "r": 20.7, "i": 20.1, "z": 18.7},
    depth_5sigma_point_mag={"u": 22.0, "g": 22.2, "r": 22.2, "i": 21.3, "z": 20.5},
    asinh_softening_nanomaggy={"u": 0.14, "g": 0.09, "r": 0.12, "i": 0.18, "z": 0.74},
    mag_limit_r=17.77,
    redshift_min=0.01,
    redshift_max=0.4,
    redshift_scale=0.08,
    spectrum_noise_floor=1.0,
    spectrum_photon_noise=0.05,
)

DESI_LS = SurveyPreset(
    name="desi-ls",
    bands=("g", "r", "z"),
    pixel_scale_arcsec=0.262,
    size_px=64,
    max_size_px=256,
    seeing_fwhm_arcsec={"g": 1.29, "r": 1.20, "z": 1.11},
    moffat_beta=3.5,
    sky_mag_per_arcsec2={"g": 22.0, "r": 21.1, "z": 18.5},
    depth_5sigma_point_mag={"g": 24.7, "r": 23.9, "z": 23.0},
    asinh_softening_nanomaggy=None,
    mag_limit_r=18.5,
    redshift_min=0.01,
    redshift_max=0.8,
    redshift_scale=0.09,
    spectrum_noise_floor=0.5,
    spectrum_photon_noise=0.05,
)

PRESETS: dict[str, SurveyPreset] = {p.name: p for p in (SDSS, DESI_LS)}


def get_preset(name: str) -> SurveyPreset:
    """The preset called `name`; raise UnknownNameError listing the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown synthetic survey preset {name!r}",
            f"choose one of: {', '.join(sorted(PRESETS))}",
        ) from None
