"""`astrobench data get` (named public datasets) and `astrobench data hubble-deep-field`."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import data_app


@data_app.command("get")
def get(
    name: str = typer.Argument("", help="Dataset name, e.g. galaxy10-decals (see --list)."),
    root: Path = typer.Option(
        None, "--root", help="Datasets folder [default: $ASTROBENCH_HOME/datasets]."
    ),
    from_path: Path = typer.Option(
        None, "--from", help="A file downloaded by hand (or a folder holding all original files)."
    ),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip the checksum check."),
    url: str = typer.Option(
        None, "--url", help="Download from this URL instead (single-file datasets)."
    ),
    size: int = typer.Option(
        None, "--size", help="Resize images to SIZE px (default: the dataset's)."
    ),
    list_names: bool = typer.Option(False, "--list", help="List the known datasets and exit."),
) -> None:
    """Download (or take --from), verify and convert a named dataset once; print the cutout file."""
    if list_names:
        typer.echo(_dataset_table())
        return
    from astrobench.data.get import get_dataset
    from astrobench.errors import ConfigError

    if not name:
        raise ConfigError("give a dataset name", "see `astrobench data get --list`")
    path = get_dataset(
        name,
        root=root,
        from_path=from_path,
        verify=not no_verify,
        url_override=url,
        image_size_px=size,
    )
    typer.echo(str(path))


@data_app.command("hdf", hidden=True)  # the old name, kept as an alias
@data_app.command("hubble-deep-field")
def hubble_deep_field(
    out: Path = typer.Option(..., "--out", help="Cutout file to write (.h5)."),
    size: int = typer.Option(32, "--size", help="Cutout side in pixels."),
    threshold: float = typer.Option(3.0, "--threshold", help="Detection threshold in sigma."),
    min_area: int = typer.Option(10, "--min-area", help="Minimum source area in pixels."),
    grid: Path = typer.Option(
        None, "--grid", help="Also save a PNG grid of the brightest cutouts."
    ),
) -> None:
    """Detect galaxies in scikit-image's Hubble Deep Field image and write centred cutouts."""
    from astrobench.data.hubble_deep_field import (
        DetectionSettings,
        make_hdf_cutouts,
        save_cutout_grid,
    )
    from astrobench.data.info import describe_cutouts

    settings = DetectionSettings(threshold_sigma=threshold, min_area_px=min_area)
    path = make_hdf_cutouts(out, size_px=size, settings=settings)
    description = describe_cutouts(path)
    typer.echo(f"wrote {description['n_objects']} cutouts of {size} px to {path}")
    if grid is not None:
        typer.echo(f"grid: {save_cutout_grid(path, grid)}")


def _dataset_table() -> str:
    from astrobench.registry import DATASETS

    return "\n".join(f"{name:<18} {DATASETS.get(name).description}" for name in DATASETS.names())
