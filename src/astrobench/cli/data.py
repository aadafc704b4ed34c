"""`astrobench data info` and `astrobench data validate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from astrobench.cli.app import data_app


@data_app.command("info")
def info(
    file: Path = typer.Argument(..., help="A cutout file (.h5)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Describe a cutout file: counts, bands, shapes, columns, labels, redshifts, provenance."""
    from astrobench.data.info import describe_cutouts, format_description

    description = describe_cutouts(file)
    typer.echo(json.dumps(description, indent=2) if as_json else format_description(description))


@data_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="A cutout file (.h5)."),
    nan_policy: str = typer.Option("error", help="error: NaN pixels are an error; mask: count them."),
    require: str = typer.Option("", help="Comma-separated catalog columns that must exist."),
) -> None:
    """Check every chunk's checksum, every pixel and the catalog; exit 2 with one line if bad."""
    from astrobench.data.validate import validate_cutout_file

    required = [c for c in require.split(",") if c]
    report = validate_cutout_file(file, nan_policy=_nan_policy(nan_policy), required_columns=required)
    typer.echo(report.summary())


def _nan_policy(value: str) -> str:
    from astrobench.errors import ConfigError

    if value not in ("error", "mask"):
        raise ConfigError(f"--nan-policy must be 'error' or 'mask', got {value!r}")
    return value
