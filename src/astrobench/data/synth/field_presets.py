"""Presets of synthetic fields: larger images holding several sources, each with a box.

A field preset names the survey whose optics and noise it uses (`presets.SurveyPreset`), how
many galaxies and stars a field holds, how often a strong lens appears, how faint field
galaxies go, the artefact rates and the box rule (see docs/synthetic_survey.md, "Fields").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from astrobench.data.synth.presets import SurveyPreset, get_preset
from astrobench.errors import UnknownNameError

BOX_CLASSES_FIELDS = ("galaxy", "star")
BOX_CLASSES_LENSES = ("galaxy", "star", "lens")


@dataclass(frozen=True)
class FieldPreset:
    """Everything that distinguishes one kind of synthetic field.

    Attributes:
        name: preset name (``fields-sdss``, ``fields-desi-ls``, ``lenses-desi-ls``).
        survey: name of the survey preset giving bands, pixel scale, PSF and noise.
        size_px: default field side in pixels.
        galaxies: inclusive range of galaxies drawn per field (boxed only when detectable).
        stars: inclusive range of stars drawn per field.
        lens_probability: chance that a field holds one strong lens system (class `lens`).
        mag_limit_r: faintest r magnitude of field galaxies (deeper than the spectroscopic
            limit of the survey preset: fields are imaging, not a redshift survey).
        redshift_max, redshift_scale: the field galaxies' p(z) (see population.draw_redshift).
        star_mag_r: range of star r magnitudes.
        galaxy_stamp_px: galaxies are at most a quarter of this wide (half-light radius).
        box_threshold_sigma: k of the box rule (isophote at k sky sigma in the detection band).
        min_box_pixels: sources with fewer pixels above the isophote get no box.
        detection_band: band of the box rule.
        cosmic_ray_rate: mean number of cosmic-ray hits per field (Poisson).
        trail_probability, bad_column_probability, masked_edge_probability: artefact rates.
        box_classes: names of the box classes, in label order.
    """

    name: str
    survey: str
    size_px: int = 128
    galaxies: tuple[int, int] = (2, 6)
    stars: tuple[int, int] = (0, 3)
    lens_probability: float = 0.0
    mag_limit_r: float = 21.0
    redshift_max: float = 1.0
    redshift_scale: float = 0.2
    star_mag_r: tuple[float, float] = (16.0, 22.0)
    galaxy_stamp_px: int = 64
    box_threshold_sigma: float = 2.0
    min_box_pixels: int = 8
    detection_band: str = "r"
    cosmic_ray_rate: float = 1.0
    trail_probability: float = 0.05
    bad_column_probability: float = 0.05
    masked_edge_probability: float = 0.03
    box_classes: tuple[str, ...] = BOX_CLASSES_FIELDS

    def survey_preset(self) -> SurveyPreset:
        """The survey's optics and noise, with this preset's deeper galaxy population."""
        return replace(
            get_preset(self.survey),
            mag_limit_r=self.mag_limit_r,
            redshift_max=self.redshift_max,
            redshift_scale=self.redshift_scale,
        )


FIELD_PRESETS: dict[str, FieldPreset] = {
    p.name: p
    for p in (
        # SDSS imaging: r ~ 22.2 point-source depth, so field galaxies to r = 20.5 are boxed.
        FieldPreset("fields-sdss", "sdss", mag_limit_r=20.5, redshift_max=0.6, redshift_scale=0.12),
        FieldPreset("fields-desi-ls", "desi-ls", mag_limit_r=21.5),
        # Half the fields hold a lens; the rest are ordinary fields (the negatives).
        FieldPreset(
            "lenses-desi-ls",
            "desi-ls",
            galaxies=(1, 4),
            lens_probability=0.5,
            mag_limit_r=21.5,
            box_classes=BOX_CLASSES_LENSES,
        ),
    )
}


def get_field_preset(name: str) -> FieldPreset:
    """The field preset called `name`, or UnknownNameError listing them."""
    try:
        return FIELD_PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown field preset {name!r}", f"choose one of: {', '.join(sorted(FIELD_PRESETS))}"
        ) from None
