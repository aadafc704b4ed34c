"""`astrobench data synth` and `astrobench data show`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from astrobench.cli.app import data_app


@data_app.command("synth")
def synth(
    preset: str = typer.Option(
        "sdss",
        "--preset",
        help="Survey preset: sdss or desi-ls (one galaxy per cutout), or a field preset with "
        "boxes: fields-sdss, fields-desi-ls, lenses-desi-ls.",
    ),
    n: int = typer.Option(..., "--n", help="Number of cutouts (galaxies or fields)."),
    seed: int = typer.Option(0, "--seed", help="Master seed: object i depends only on (seed, i)."),
    out: Path = typer.Option(..., "--out", help="Output cutout file (.h5), written atomically."),
    workers: int = typer.Option(
        1, "--workers", help="Parallel processes (output does not depend on it)."
    ),
    size: int = typer.Option(None, "--size", help="Cutout side in pixels (default: the preset's)."),
    no_spectra: bool = typer.Option(False, "--no-spectra", help="Do not simulate spectra."),
    spectrum_step: float = typer.Option(
        2.0, "--spectrum-step", help="Spectral pixel (A); DESI native 0.8."
    ),
    votes: str = typer.Option(
        "", "--votes", help="Also simulate Galaxy Zoo votes for this tree: gz-decals-5 or gz2."
    ),
) -> None:
    """Simulate a synthetic survey: galaxies of the ten Galaxy10 classes, spectra, catalog;
    or fields of several sources (and strong lenses) with one box per source."""
    from astrobench.data.synth import PRESETS, synthesize
    from astrobench.data.synth.field_presets import FIELD_PRESETS
    from astrobench.errors import UnknownNameError

    if preset not in PRESETS and preset not in FIELD_PRESETS:
        raise UnknownNameError(
            f"unknown synthetic survey preset {preset!r}",
            f"choose one of: {', '.join(sorted(PRESETS) + sorted(FIELD_PRESETS))}",
        )
    if preset in FIELD_PRESETS:
        from astrobench.data.synth.fields import synthesize_fields

        path = synthesize_fields(
            preset, n, seed, out, workers=workers, size=size, progress=sys.stdout.isatty()
        )
        typer.echo(f"wrote {n} {preset} fields with boxes to {path}")
        return

    path = synthesize(
        preset,
        n,
        seed,
        out,
        workers=workers,
        size=size,
        spectra=not no_spectra,
        progress=sys.stdout.isatty(),
        spectrum_step_angstrom=spectrum_step,
        votes=votes or None,
    )
    typer.echo(f"wrote {n} {preset} galaxies to {path}")


@data_app.command("show")
def show(
    file: Path = typer.Argument(..., help="A cutout file (.h5)."),
    per_class: int = typer.Option(8, "--per-class", help="Objects shown per class."),
    out: Path = typer.Option(Path("grid.png"), "--out", help="Output PNG."),
    bands: str = typer.Option("", "--bands", help="Three bands blue to red, e.g. g,r,z."),
    per_band: bool = typer.Option(
        False, "--per-band", help="One grey panel per band instead of colour."
    ),
) -> None:
    """Save a grid of cutouts, one row per class (asinh colour composite of three bands)."""
    from astrobench.data.show import show_cutouts
    from astrobench.errors import ConfigError

    if per_class < 1:
        raise ConfigError(f"--per-class must be at least 1, got {per_class}")
    chosen = [b.strip() for b in bands.split(",") if b.strip()] or None
    path = show_cutouts(file, out, per_class=per_class, bands=chosen, per_band=per_band)
    typer.echo(f"wrote {path}")
