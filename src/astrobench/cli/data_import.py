"""`astrobench data import`: a folder of FITS cutouts, or a .npy/.npz array, plus a catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from astrobench.cli.app import data_app


@data_app.command("import")
def data_import(
    source: Path = typer.Argument(..., help="A folder of FITS cutouts, or a .npy / .npz array."),
    out: Path = typer.Option(..., "--out", "-o", help="The cutout file to write (.h5)."),
    bands: str = typer.Option(..., help="Band names, one per channel, e.g. g,r,z."),
    catalog: Path | None = typer.Option(None, help="CSV or Parquet catalog."),
    layout: str = typer.Option("NCHW", help="NumPy arrays only: NCHW or NHWC."),
    pixel_scale: float | None = typer.Option(
        None, help="Arcsec per pixel (FITS: read from the header when omitted)."
    ),
    survey: str = typer.Option("custom", help="Survey name stored in the file."),
    label_column: str | None = typer.Option(None, help="Catalog column of class labels."),
    label_names: str = typer.Option("", help="Class names in code order, e.g. spiral,elliptical."),
    nan_policy: str = typer.Option("error", help="error: NaN pixels fail; mask: set to 0, count."),
    id_column: str | None = typer.Option(
        None, help="FITS: catalog column equal to each file's stem (default object_id)."
    ),
    file_column: str | None = typer.Option(
        None, help="FITS: catalog column holding each file's name (default: file / filename)."
    ),
    array_key: str | None = typer.Option(None, help="NumPy .npz: name of the image array."),
    license: str = typer.Option("unknown", help="Licence of the images, stored in the file."),
    image_unit: str = typer.Option("arbitrary", help="Pixel unit, e.g. nanomaggies."),
) -> None:
    """Convert your own cutouts and catalog into an astrobench cutout file (written atomically)."""
    from astrobench.data.import_catalog import parse_names
    from astrobench.errors import ConfigError

    band_names = parse_names(bands)
    if not band_names:
        raise ConfigError("--bands is empty", "give band names, e.g. --bands g,r,z")
    common: dict[str, Any] = dict(
        catalog=catalog,
        label_column=label_column,
        label_names=parse_names(label_names),
        nan_policy=nan_policy,
        progress=True,
        survey=survey,
        license=license,
        image_unit=image_unit,
    )
    if source.is_dir():
        from astrobench.data.import_fits import import_fits_folder

        report = import_fits_folder(
            source,
            out,
            bands=band_names,
            pixel_scale_arcsec=pixel_scale,
            id_column=id_column,
            file_column=file_column,
            **common,
        )
    else:
        from astrobench.data.import_numpy import import_numpy_arrays

        report = import_numpy_arrays(
            source,
            out,
            bands=band_names,
            pixel_scale_arcsec=pixel_scale,
            layout=layout.upper(),  # type: ignore[arg-type]  # the importer checks it
            array_key=array_key,
            **common,
        )
    typer.echo(report.summary())
