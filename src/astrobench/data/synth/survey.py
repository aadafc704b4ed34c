"""`synthesize`: simulate a survey into a cutout file, in parallel, deterministically.

Object i depends only on (seed, i), and results are written in index order, so the file's
images and catalog are byte-identical whatever the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np

from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.synth.morphology import CLASS_NAMES
from astrobench.data.synth.parallel import simulate_in_order, write_in_chunks
from astrobench.data.synth.presets import SurveyPreset, get_preset
from astrobench.data.synth.render import band_noise
from astrobench.data.synth.scene import SimulatedObject, SurveyContext, simulate_object
from astrobench.errors import ConfigError

WRITE_CHUNK = 256


def _objects(ctx: SurveyContext, n: int, workers: int) -> Iterator[SimulatedObject]:
    """Objects 0..n-1 in order, simulated in this process or a pool of `workers`."""
    return simulate_in_order(simulate_object, ctx, n, workers)


def _validate(n: int, seed: int, workers: int) -> None:
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}", "ask for one or more objects")
    if seed < 0:
        raise ConfigError(f"--seed must be non-negative, got {seed}")
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")


def _file_attrs(
    preset: SurveyPreset, seed: int, size: int, step: float | None, votes: str | None = None
) -> dict[str, object]:
    noise = band_noise(preset)
    extra: dict[str, object] = {"vote_schema": votes} if votes else {}
    return {
        **extra,
        "synth_preset": preset.name,
        "synth_seed": seed,
        "synth_size_px": size,
        "zeropoint_ab": 22.5,
        "magnitude_system": "asinh (Lupton et al. 1999), aperture, zero point 22.5",
        "seeing_fwhm_arcsec": [preset.seeing_fwhm_arcsec[b] for b in preset.bands],
        "sky_sigma_nanomaggy": [n.sky_sigma_nanomaggy for n in noise],
        "depth_5sigma_point_mag": [preset.depth_5sigma_point_mag[b] for b in preset.bands],
        "spectrum_unit": "1e-17 erg/s/cm^2/Angstrom" if step else "",
        "spectrum_step_angstrom": step or 0.0,
    }


def synthesize(
    preset: str,
    n: int,
    seed: int,
    out: str | os.PathLike[str],
    workers: int = 1,
    size: int | None = None,
    spectra: bool = True,
    progress: bool = True,
    *,
    spectrum_step_angstrom: float = 2.0,
    votes: str | None = None,
) -> Path:
    """Simulate `n` galaxies of survey `preset` into the cutout file `out`.

    Args:
        preset: ``sdss`` (ugriz, 0.396"/px) or ``desi-ls`` (grz, 0.262"/px).
        n: number of cutouts.
        seed: master seed; object i is a function of (seed, i) only.
        out: destination .h5 file, written atomically.
        workers: processes drawing in parallel (the output does not depend on it).
        size: cutout side in pixels (default: the preset's).
        spectra: also write /spectra, /spectra_ivar and /wavelength.
        progress: show a progress bar when stdout is a terminal.
        spectrum_step_angstrom: spectral pixel size (DESI's native grid is 0.8 A).
        votes: a vote schema (``gz-decals-5`` or ``gz2``): also write Galaxy-Zoo-like vote
            counts, totals and fractions drawn from each galaxy's structure (data/synth/votes.py).

    Returns:
        The path of the finished file.

    A field preset (``fields-sdss``, ``fields-desi-ls``, ``lenses-desi-ls``) writes fields with
    boxes instead (fields.synthesize_fields; no spectra), so suites can declare them too.
    """
    from astrobench.data.synth.field_presets import FIELD_PRESETS

    if preset in FIELD_PRESETS:
        from astrobench.data.synth.fields import synthesize_fields

        return synthesize_fields(
            preset, n, seed, out, workers=workers, size=size, progress=progress
        )
    survey = get_preset(preset)
    size_px = survey.resolve_size(size)
    _validate(n, seed, workers)
    step = spectrum_step_angstrom if spectra else None
    if step is not None and not 0.1 <= step <= 50:
        raise ConfigError(f"spectrum step {step} A is outside 0.1-50 A")
    if votes is not None:
        from astrobench.data.synth.votes import check_vote_schema

        check_vote_schema(votes)
    ctx = SurveyContext.build(survey, size_px, seed, step, votes)
    writer = CutoutWriter(
        out,
        bands=survey.bands,
        image_size=(size_px, size_px),
        pixel_scale_arcsec=survey.pixel_scale_arcsec,
        survey=f"synthetic-{survey.name}",
        source="astrobench synthetic survey (GalSim)",
        license="CC0-1.0",
        image_unit="nanomaggy",
        label_names=CLASS_NAMES,
        wavelength_angstrom=ctx.wavelength_angstrom,
        with_spectra_ivar=spectra,
        attrs=_file_attrs(survey, seed, size_px, step, votes),
        expected_objects=n,
    )
    with writer:
        objects, append = _objects(ctx, n, workers), partial(_append, writer)
        redraws = write_in_chunks(
            objects, n, append, "synthesising galaxies", progress, WRITE_CHUNK
        )
        # The count is known only at the end; the writer writes its root attributes on close.
        writer._root_attrs["galsim_redraws"] = redraws
    return Path(out)


def _append(writer: CutoutWriter, objects: list[SimulatedObject], first_index: int) -> None:
    names = list(objects[0].row)
    catalog: dict[str, np.ndarray] = {
        "object_id": np.arange(first_index, first_index + len(objects), dtype=np.int64)
    }
    for name in names:
        values = np.array([o.row[name] for o in objects])
        catalog[name] = values.astype(np.int8) if name.startswith("has_") else values
    catalog["label"] = catalog["label"].astype(np.int64)
    spectra = ivar = None
    if objects[0].spectrum is not None:
        spectra = np.stack([o.spectrum for o in objects])  # type: ignore[misc]
        ivar = np.stack([o.spectrum_ivar for o in objects])  # type: ignore[misc]
    writer.append(np.stack([o.image for o in objects]), catalog, spectra=spectra, spectra_ivar=ivar)
