"""`astrobench data info` and `astrobench data validate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from astrobench.cli.app import data_app

if TYPE_CHECKING:
    from astrobench.data.cutout_file import NanPolicy


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
    nan_policy: str = typer.Option("error", help="error: NaN pixels fail; mask: count them."),
    require: str = typer.Option("", help="Comma-separated catalog columns that must exist."),
) -> None:
    """Check every chunk's checksum, every pixel and the catalog; exit 2 with one line if bad."""
    from astrobench.data.validate import validate_cutout_file

    required = [c for c in require.split(",") if c]
    policy = _nan_policy(nan_policy)
    report = validate_cutout_file(file, nan_policy=policy, required_columns=required)
    typer.echo(report.summary())


def _nan_policy(value: str) -> NanPolicy:
    from astrobench.errors import ConfigError

    if value in ("error", "mask"):
        return cast("NanPolicy", value)
    raise ConfigError(f"--nan-policy must be 'error' or 'mask', got {value!r}")
