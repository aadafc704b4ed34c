"""`astrobench data import-coco`: a COCO-format detection set into a cutout file with boxes."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import data_app


@data_app.command("import-coco")
def import_coco(
    images_dir: Path = typer.Argument(..., help="Folder holding the images (FITS or PNG)."),
    annotations: Path = typer.Argument(..., help="The COCO annotations JSON."),
    out: Path = typer.Option(..., "--out", "-o", help="The cutout file to write (.h5)."),
    bands: str = typer.Option(
        "", help="Band names, one per channel (default: band0.. / grey / red,green,blue)."
    ),
    pixel_scale: float = typer.Option(1.0, help="Arcsec per pixel stored in the file."),
    survey: str = typer.Option("custom", help="Survey name stored in the file."),
    license: str = typer.Option("unknown", help="Licence of the images, stored in the file."),
) -> None:
    """Convert COCO boxes ([x, y, w, h] -> x0, y0, x1, y1) and images into a cutout file."""
    from astrobench.data.import_catalog import parse_names
    from astrobench.data.import_coco import import_coco as convert

    path = convert(
        images_dir,
        annotations,
        out,
        bands=parse_names(bands) or None,
        pixel_scale_arcsec=pixel_scale,
        survey=survey,
        license=license,
    )
    typer.echo(f"wrote {path}")
