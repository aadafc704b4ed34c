"""`synthesize_fields`: simulate synthetic fields with boxes into a cutout file.

Field i depends only on (seed, i) and fields are written in index order, so the file is
byte-identical whatever the number of workers. Boxes go to /boxes, /box_labels, /box_offsets;
the box class names to the `label_names` attribute of /box_labels.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np

from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.synth.field_presets import FieldPreset, get_field_preset
from astrobench.data.synth.field_scene import FieldContext, SimulatedField, simulate_field
from astrobench.data.synth.parallel import simulate_in_order, write_in_chunks
from astrobench.data.synth.render import band_noise
from astrobench.errors import ConfigError

WRITE_CHUNK = 64


def _check(preset: FieldPreset, n: int, seed: int, workers: int, size: int) -> None:
    checks = [
        (n >= 1, f"--n must be at least 1, got {n}"),
        (seed >= 0, f"--seed must be non-negative, got {seed}"),
        (workers >= 1, f"--workers must be at least 1, got {workers}"),
        (32 <= size <= 512, f"--size {size} is outside 32..512 for field preset {preset.name!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message, "fix the synthesis options")


def _attrs(preset: FieldPreset, ctx: FieldContext) -> dict[str, object]:
    survey = ctx.survey
    return {
        "synth_preset": preset.name,
        "synth_seed": ctx.seed,
        "synth_size_px": ctx.size_px,
        "zeropoint_ab": 22.5,
        "seeing_fwhm_arcsec": [survey.seeing_fwhm_arcsec[b] for b in survey.bands],
        "sky_sigma_nanomaggy": [n.sky_sigma_nanomaggy for n in band_noise(survey)],
        "box_rule": (
            f"isophote at {preset.box_threshold_sigma:g} sky sigma of the source's own noiseless "
            f"{preset.detection_band}-band light, >= {preset.min_box_pixels} pixels, clipped "
            "to the image; pixel-edge coordinates"
        ),
    }


def synthesize_fields(
    preset: str,
    n: int,
    seed: int,
    out: str | os.PathLike[str],
    workers: int = 1,
    size: int | None = None,
    progress: bool = True,
) -> Path:
    """Simulate `n` fields of field preset `preset` (with boxes) into the cutout file `out`.

    Args:
        preset: ``fields-sdss``, ``fields-desi-ls`` or ``lenses-desi-ls``.
        n: number of fields.
        seed: master seed; field i is a function of (seed, i) only.
        out: destination .h5 file, written atomically.
        workers: processes drawing in parallel (the output does not depend on it).
        size: field side in pixels (default: the preset's, 128).
        progress: show a progress bar when stdout is a terminal.

    Returns:
        The path of the finished file.
    """
    field = get_field_preset(preset)
    size_px = field.size_px if size is None else int(size)
    _check(field, n, seed, workers, size_px)
    ctx = FieldContext.build(field, size_px, seed)
    lenses = "lens" in field.box_classes
    writer = CutoutWriter(
        out,
        bands=ctx.survey.bands,
        image_size=(size_px, size_px),
        pixel_scale_arcsec=ctx.survey.pixel_scale_arcsec,
        survey=f"synthetic-{field.name}",
        source="astrobench synthetic fields (GalSim; SIE lenses by closed-form deflection)",
        license="CC0-1.0",
        image_unit="nanomaggy",
        label_names=["no lens", "lens"] if lenses else None,
        with_boxes=True,
        box_label_names=field.box_classes,
        attrs=_attrs(field, ctx),
    )
    with writer:
        fields = simulate_in_order(simulate_field, ctx, n, workers)
        append = partial(_append, writer)
        redraws = write_in_chunks(fields, n, append, "synthesising fields", progress, WRITE_CHUNK)
        writer._root_attrs["galsim_redraws"] = redraws
    return Path(out)


def _append(writer: CutoutWriter, fields: list[SimulatedField], first_index: int) -> None:
    catalog: dict[str, np.ndarray] = {
        "object_id": np.arange(first_index, first_index + len(fields), dtype=np.int64)
    }
    for name in fields[0].row:
        catalog[name] = np.array([f.row[name] for f in fields])
    if "label" in catalog:
        catalog["label"] = catalog["label"].astype(np.int64)
    writer.append(
        np.stack([f.image for f in fields]),
        catalog,
        boxes=[f.boxes for f in fields],
        box_labels=[f.labels for f in fields],
    )
