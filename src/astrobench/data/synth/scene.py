"""One cutout end to end: galaxy, neighbours and stars, images, photometry and spectrum."""

from __future__ import annotations

from dataclasses import dataclass

import galsim
import numpy as np

from astrobench.data.synth.catalog.photometry import measure
from astrobench.data.synth.cosmology import CosmologyTable, planck18_table
from astrobench.data.synth.morphology import GSPARAMS, sersic
from astrobench.data.synth.population import Galaxy, draw_abs_mag, draw_galaxy, draw_redshift
from astrobench.data.synth.presets import SurveyPreset
from astrobench.data.synth.render import (
    ScenePart,
    add_noise,
    band_noise,
    draw_scene,
    mask_edge,
    pixel_variance,
)
from astrobench.data.synth.seds import (
    ALL_BANDS,
    STAR_TEMPERATURES_K,
    SedLibrary,
    blend_weights,
    sed_library,
)
from astrobench.data.synth.spectra import noiseless_spectrum, observe_spectrum, wavelength_grid

MAX_REDRAWS = 20


@dataclass(frozen=True)
class SurveyContext:
    """What every worker needs to simulate objects (picklable)."""

    preset: SurveyPreset
    size_px: int
    seed: int
    library: SedLibrary
    cosmology: CosmologyTable
    wavelength_angstrom: np.ndarray | None
    votes: str | None = None  # a vote schema name: also simulate Galaxy Zoo votes

    @classmethod
    def build(
        cls,
        preset: SurveyPreset,
        size_px: int,
        seed: int,
        spectrum_step: float | None,
        votes: str | None = None,
    ) -> SurveyContext:
        """Tabulate SEDs and distances once (in the parent process)."""
        wave = None if spectrum_step is None else wavelength_grid(spectrum_step)
        return cls(preset, size_px, seed, sed_library(), planck18_table(), wave, votes)


@dataclass
class SimulatedObject:
    """One cutout's image [C, H, W], catalog row, spectrum and the number of GalSim redraws."""

    image: np.ndarray
    row: dict[str, float]
    spectrum: np.ndarray | None
    spectrum_ivar: np.ndarray | None
    redraws: int


def object_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of object `index`: a function of (seed, index) only, whatever the workers."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def simulate_object(ctx: SurveyContext, index: int) -> SimulatedObject:
    """Simulate object `index`, redrawing its parameters when GalSim rejects a draw."""
    rng = object_rng(ctx.seed, index)
    fractions = np.asarray(ctx.preset.class_fractions, dtype=float)
    label = int(rng.choice(len(fractions), p=fractions / fractions.sum()))
    for redraws in range(MAX_REDRAWS):
        try:
            return _simulate(ctx, rng, label, redraws, index)
        except galsim.GalSimError:
            continue
    raise RuntimeError(f"GalSim rejected {MAX_REDRAWS} draws of object {index}")


def _band_index(preset: SurveyPreset) -> list[int]:
    return [ALL_BANDS.index(b) for b in preset.bands]


def _simulate(
    ctx: SurveyContext, rng: np.random.Generator, label: int, redraws: int, index: int
) -> SimulatedObject:
    preset, size = ctx.preset, ctx.size_px
    galaxy = draw_galaxy(rng, label, preset, size, ctx.library, ctx.cosmology)
    bands = _band_index(preset)
    parts = [
        ScenePart(p.profile, galaxy.part_flux_nanomaggy[i, bands])
        for i, p in enumerate(galaxy.structure.parts)
    ]
    flags = {"has_neighbour": 0, "has_star": 0, "has_edge_artefact": 0}
    if rng.random() < preset.neighbour_probability:
        parts.append(_neighbour(rng, ctx))
        flags["has_neighbour"] = 1
    if rng.random() < preset.star_probability:
        parts.append(_star(rng, ctx))
        flags["has_star"] = 1
    truth = draw_scene(parts, preset, size)
    noisy = add_noise(rng, truth, preset)
    if rng.random() < preset.edge_artefact_probability:
        noisy = mask_edge(rng, noisy)
        flags["has_edge_artefact"] = 1
    row = _catalog_row(ctx, galaxy, noisy, pixel_variance(noisy, preset), flags)
    if ctx.votes is not None:
        from astrobench.data.synth.votes import simulate_votes, truth_from, vote_rng

        seen = truth_from(galaxy, flags, preset)
        row.update(simulate_votes(ctx.votes, seen, vote_rng(ctx.seed, index)))
    spectrum = ivar = None
    if ctx.wavelength_angstrom is not None:
        spectrum, ivar = _spectrum(rng, ctx, galaxy)
    return SimulatedObject(noisy.astype(np.float32), row, spectrum, ivar, redraws)


def _offset(rng: np.random.Generator, ctx: SurveyContext) -> tuple[float, float]:
    radius = rng.uniform(0.28, 0.46) * ctx.size_px * ctx.preset.pixel_scale_arcsec
    angle = rng.uniform(0, 2 * np.pi)
    return float(radius * np.cos(angle)), float(radius * np.sin(angle))


def _neighbour(rng: np.random.Generator, ctx: SurveyContext) -> ScenePart:
    """An unrelated galaxy at its own redshift, up to 2.5 mag below the survey limit."""
    z = draw_redshift(rng, ctx.preset)
    weights = blend_weights(rng.uniform(0, 1))
    r_zero = ctx.library.band_fluxes(weights, z)[2]
    abs_mag = draw_abs_mag(rng, ctx.preset.mag_limit_r + 2.5 - (22.5 - 2.5 * np.log10(r_zero)))
    hlr = min(4.0 * 10 ** (-0.104 * (abs_mag + 21)) * ctx.cosmology.arcsec_per_kpc(z), 3.0)
    profile = sersic(float(rng.choice([1.0, 4.0])), hlr).shear(
        q=rng.uniform(0.3, 1.0), beta=rng.uniform(0, 180) * galsim.degrees
    )
    flux = ctx.library.band_fluxes(weights * 10 ** (-0.4 * abs_mag), z)[_band_index(ctx.preset)]
    return ScenePart(profile.shift(*_offset(rng, ctx)), flux)


def _star(rng: np.random.Generator, ctx: SurveyContext) -> ScenePart:
    """A foreground star (blackbody colours) of r = 14.5-21."""
    ratios = ctx.library.star_flux_ratio[int(rng.integers(len(STAR_TEMPERATURES_K)))]
    flux_r = 10 ** (-0.4 * (rng.uniform(14.5, 21.0) - 22.5))
    profile = galsim.DeltaFunction(gsparams=GSPARAMS).shift(*_offset(rng, ctx))
    return ScenePart(profile, flux_r * ratios[_band_index(ctx.preset)])


def aperture_radius_px(preset: SurveyPreset, size_px: int, hlr_arcsec: float) -> float:
    """Aperture radius: twice the half-light radius added in quadrature to the r-band seeing."""
    radius = (
        np.hypot(2.0 * hlr_arcsec, preset.seeing_fwhm_arcsec.get("r", 1.2))
        / preset.pixel_scale_arcsec
    )
    return float(np.clip(radius, 3.0, 0.45 * size_px))


def _catalog_row(
    ctx: SurveyContext, galaxy: Galaxy, noisy: np.ndarray, var: np.ndarray, flags: dict[str, int]
) -> dict[str, float]:
    preset = ctx.preset
    noise = band_noise(preset)
    soft = preset.asinh_softening_nanomaggy
    softening = np.array(
        [
            soft[b] if soft else 1.042 * 5 * n.sky_sigma_nanomaggy
            for b, n in zip(preset.bands, noise, strict=True)
        ]
    )
    phot = measure(
        noisy,
        var,
        aperture_radius_px(preset, ctx.size_px, galaxy.half_light_radius_arcsec),
        softening,
    )
    main = np.array([p.main for p in galaxy.structure.parts])
    true_flux = galaxy.part_flux_nanomaggy[main][:, _band_index(preset)].sum(axis=0)
    s = galaxy.structure
    row: dict[str, float] = {"label": galaxy.label, "redshift": galaxy.redshift}
    for c, band in enumerate(preset.bands):
        row[f"mag_{band}"] = phot.mag[c]
        row[f"magerr_{band}"] = phot.magerr[c]
        row[f"true_flux_{band}"] = true_flux[c]
        row[f"snr_{band}"] = phot.snr[c]
    row.update(
        log_mstar=galaxy.log_mstar,
        log_ssfr=galaxy.log_ssfr,
        log_zmw=galaxy.log_zmw,
        age_mw_gyr=galaxy.age_mw_gyr,
        bulge_fraction=s.bulge_fraction,
        half_light_radius_arcsec=galaxy.half_light_radius_arcsec,
        sersic_n=s.sersic_n,
        axis_ratio=s.axis_ratio,
        position_angle=s.position_angle_deg % 180.0,
    )
    row.update(flags)
    return row


def _spectrum(
    rng: np.random.Generator, ctx: SurveyContext, galaxy: Galaxy
) -> tuple[np.ndarray, np.ndarray]:
    assert ctx.wavelength_angstrom is not None
    main = [w for w, p in zip(galaxy.part_weights, galaxy.structure.parts, strict=True) if p.main]
    sigma_v = float(rng.uniform(60.0, 200.0))
    clean = noiseless_spectrum(
        ctx.wavelength_angstrom,
        np.sum(main, axis=0),
        galaxy.redshift,
        galaxy.sfr_msun_per_yr,
        galaxy.log_ssfr,
        galaxy.a_v,
        sigma_v,
        ctx.library,
        ctx.cosmology,
    )
    return observe_spectrum(
        rng,
        ctx.wavelength_angstrom,
        clean,
        ctx.preset.spectrum_noise_floor,
        ctx.preset.spectrum_photon_noise,
    )
