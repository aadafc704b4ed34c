"""One synthetic field end to end: galaxies, stars and maybe a strong lens, each drawn on its own
(so its box follows from its own light), summed, with noise and artefacts added.

Galaxies come from the survey's physical model (population.draw_galaxy: class, redshift,
Schechter luminosity, sizes, SEDs, structure), with the field preset's deeper magnitude limit.
Everything is drawn from `np.random.SeedSequence([seed, index])`.
"""

from __future__ import annotations

from dataclasses import dataclass

import galsim
import numpy as np

from astrobench.data.synth.artefacts import add_artefacts
from astrobench.data.synth.cosmology import CosmologyTable, planck18_table
from astrobench.data.synth.field_presets import FieldPreset
from astrobench.data.synth.isophote_box import isophote_box
from astrobench.data.synth.lens_system import draw_lens_system
from astrobench.data.synth.morphology import GSPARAMS
from astrobench.data.synth.population import draw_galaxy
from astrobench.data.synth.presets import SurveyPreset
from astrobench.data.synth.render import ScenePart, add_noise, band_noise, draw_scene
from astrobench.data.synth.seds import ALL_BANDS, STAR_TEMPERATURES_K, SedLibrary, sed_library

MAX_REDRAWS = 20
EDGE_MARGIN = 0.04  # source centres stay this fraction of the side inside the field


@dataclass(frozen=True)
class FieldContext:
    """What every worker needs to simulate fields (picklable)."""

    preset: FieldPreset
    survey: SurveyPreset
    size_px: int
    seed: int
    library: SedLibrary
    cosmology: CosmologyTable

    @classmethod
    def build(cls, preset: FieldPreset, size_px: int, seed: int) -> FieldContext:
        """Tabulate SEDs and distances once (in the parent process)."""
        return cls(preset, preset.survey_preset(), size_px, seed, sed_library(), planck18_table())

    @property
    def bands(self) -> list[int]:
        return [ALL_BANDS.index(b) for b in self.survey.bands]


@dataclass
class SimulatedField:
    """One field: image [C, H, W], boxes [K, 4], box labels [K], catalog row, GalSim redraws."""

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    row: dict[str, float]
    redraws: int


def simulate_field(ctx: FieldContext, index: int) -> SimulatedField:
    """Simulate field `index`, redrawing when GalSim rejects a draw."""
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, index]))
    for redraws in range(MAX_REDRAWS):
        try:
            field = _simulate(ctx, rng)
        except galsim.GalSimError:
            continue
        field.redraws = redraws
        return field
    raise RuntimeError(f"GalSim rejected {MAX_REDRAWS} draws of field {index}")


def _position(rng: np.random.Generator, ctx: FieldContext, margin: float = 0.0) -> np.ndarray:
    """A source centre (arcsec from the field centre), `margin` arcsec more inside the edge."""
    half = (0.5 - EDGE_MARGIN) * ctx.size_px * ctx.survey.pixel_scale_arcsec - margin
    return rng.uniform(-half, half, 2)


def _galaxy(rng: np.random.Generator, ctx: FieldContext) -> np.ndarray:
    fractions = np.asarray(ctx.survey.class_fractions, dtype=float)
    label = int(rng.choice(len(fractions), p=fractions / fractions.sum()))
    galaxy = draw_galaxy(
        rng, label, ctx.survey, ctx.preset.galaxy_stamp_px, ctx.library, ctx.cosmology
    )
    shift = _position(rng, ctx)
    parts = [
        ScenePart(p.profile.shift(*shift), galaxy.part_flux_nanomaggy[i, ctx.bands])
        for i, p in enumerate(galaxy.structure.parts)
    ]
    return draw_scene(parts, ctx.survey, ctx.size_px)  # [C, H, W]


def _star(rng: np.random.Generator, ctx: FieldContext) -> np.ndarray:
    ratios = ctx.library.star_flux_ratio[int(rng.integers(len(STAR_TEMPERATURES_K)))]
    flux_r = 10 ** (-0.4 * (rng.uniform(*ctx.preset.star_mag_r) - 22.5))
    profile = galsim.DeltaFunction(gsparams=GSPARAMS).shift(*_position(rng, ctx))
    return draw_scene([ScenePart(profile, flux_r * ratios[ctx.bands])], ctx.survey, ctx.size_px)


def _simulate(ctx: FieldContext, rng: np.random.Generator) -> SimulatedField:
    preset = ctx.preset
    sources: list[tuple[np.ndarray, int]] = []
    galaxy_class, star_class = preset.box_classes.index("galaxy"), preset.box_classes.index("star")
    extra: dict[str, float] = {"theta_e_arcsec": 0.0, "lens_magnification": 0.0}
    if rng.random() < preset.lens_probability:
        sources.append(_lens(rng, ctx, extra))
    for _ in range(int(rng.integers(preset.galaxies[0], preset.galaxies[1] + 1))):
        sources.append((_galaxy(rng, ctx), galaxy_class))
    for _ in range(int(rng.integers(preset.stars[0], preset.stars[1] + 1))):
        sources.append((_star(rng, ctx), star_class))
    truth = np.sum([image for image, _ in sources], axis=0)  # [C, H, W]
    noise = band_noise(ctx.survey)
    sky_sigma = np.array([n.sky_sigma_nanomaggy for n in noise])
    noisy, flags = add_artefacts(rng, add_noise(rng, truth, ctx.survey), sky_sigma, preset)
    boxes, labels = _boxes(ctx, sources, sky_sigma)
    row: dict[str, float] = {
        f"n_{name}": int(np.sum(labels == k)) for k, name in enumerate(preset.box_classes)
    }
    if "lens" in preset.box_classes:
        row["label"] = int(row["n_lens"] > 0)
        row.update(extra)
    row.update(flags)
    return SimulatedField(noisy.astype(np.float32), boxes, labels, row, 0)


def _lens(
    rng: np.random.Generator, ctx: FieldContext, extra: dict[str, float]
) -> tuple[np.ndarray, int]:
    position = _position(rng, ctx, margin=4.0)
    system = draw_lens_system(
        rng,
        ctx.survey,
        ctx.size_px,
        (float(position[0]), float(position[1])),
        ctx.library,
        ctx.cosmology,
    )
    extra.update(theta_e_arcsec=system.theta_e_arcsec, lens_magnification=system.magnification)
    return system.deflector + system.arcs, ctx.preset.box_classes.index("lens")


def _boxes(
    ctx: FieldContext, sources: list[tuple[np.ndarray, int]], sky_sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes [K, 4] and labels [K] of the detectable sources (isophote_box rule)."""
    band = ctx.survey.bands.index(ctx.preset.detection_band)
    threshold = ctx.preset.box_threshold_sigma * sky_sigma[band]
    boxes, labels = [], []
    for image, label in sources:
        box = isophote_box(image[band], threshold, ctx.preset.min_box_pixels)
        if box is not None:
            boxes.append(box)
            labels.append(label)
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    return np.stack(boxes).astype(np.float32), np.asarray(labels, dtype=np.int64)
