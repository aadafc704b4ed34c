"""Import a folder of FITS cutouts (one file per object) plus a catalog into a cutout file.

Each FITS file holds either a cube [C, H, W] in one image HDU, or one 2-D image extension per
band (matched to `bands` by EXTNAME or FILTER when those name the bands, else taken in order).
Catalog rows are matched to files by file name (a file-name column) or by an id column equal to
the file's stem. Files are read and written in blocks, so memory does not grow with the folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.import_catalog import (
    ImportReport,
    NanPolicy,
    PixelCleaner,
    block_rows,
    catalog_columns,
    read_catalog,
    require_column,
    slice_columns,
)
from astrobench.errors import BandError, ConfigError, DataFormatError

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fz")
_FILE_COLUMNS = ("file", "filename", "file_name", "path")
_PIXEL_SCALE_KEYS = ("PIXSCALE", "PIXSCAL1", "SECPIX", "PIXSCAL")


def fits_files(folder: Path) -> list[Path]:
    """FITS files directly inside `folder`, sorted by name."""
    if not folder.is_dir():
        raise DataFormatError(
            f"{folder}: not a folder", "give the folder holding your FITS cutouts"
        )
    files = sorted(p for p in folder.iterdir() if p.name.lower().endswith(FITS_SUFFIXES))
    if not files:
        raise DataFormatError(f"{folder}: no FITS files (.fits, .fit, .fts, .fits.gz)")
    return files


def fits_stem(path: Path) -> str:
    """File name without its FITS suffix ('obj_7.fits.gz' -> 'obj_7')."""
    name = path.name
    for suffix in sorted(FITS_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def match_catalog(
    files: list[Path],
    catalog: pd.DataFrame | None,
    *,
    id_column: str | None = None,
    file_column: str | None = None,
) -> tuple[list[Path], pd.DataFrame]:
    """Files in catalog order and the catalog; every file needs exactly one row and vice versa."""
    if catalog is None:
        return files, pd.DataFrame({fmt.OBJECT_ID: [fits_stem(f) for f in files]})
    if file_column is None and id_column is None:
        file_column = next((c for c in _FILE_COLUMNS if c in catalog.columns), None)
        id_column = None if file_column else fmt.OBJECT_ID
    by_key: dict[str, Path] = {}
    for path in files:
        for key in {path.name, fits_stem(path)} if file_column else {fits_stem(path)}:
            by_key[key] = path
    key_column = file_column or id_column
    assert key_column is not None
    require_column(catalog, key_column, "catalog")
    keys = [_key_text(v, bool(file_column)) for v in catalog[key_column].tolist()]
    ordered: list[Path] = []
    for row, key in enumerate(keys):
        if key not in by_key:
            raise DataFormatError(
                f"catalog row {row} ({key_column}={key!r}) matches no FITS file in the folder",
                f"{key_column} must equal a FITS file's {'name' if file_column else 'stem'}",
            )
        ordered.append(by_key[key])
    _check_one_to_one(files, ordered, key_column)
    return ordered, catalog.reset_index(drop=True)


def _key_text(value: Any, is_file: bool) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return os.path.basename(text) if is_file else text


def _check_one_to_one(files: list[Path], ordered: list[Path], key_column: str) -> None:
    seen: set[Path] = set()
    for path in ordered:
        if path in seen:
            raise DataFormatError(
                f"FITS file {path.name} is matched by more than one catalog row",
                f"make {key_column} unique",
            )
        seen.add(path)
    unmatched = [p.name for p in files if p not in seen]
    if unmatched:
        raise DataFormatError(
            f"{len(unmatched)} FITS file(s) have no catalog row, e.g. {unmatched[0]}",
            f"add a catalog row per file (matched on {key_column}), or move those files out",
        )


def _band_name(hdu: Any) -> str:
    return str(hdu.header.get("FILTER") or hdu.header.get("BAND") or hdu.name or "").strip()


def read_fits_cutout(path: Path, bands: Sequence[str]) -> np.ndarray:
    """One cutout as native-endian float32 [C, H, W], channels in the order of `bands`."""
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdul:
            images = [
                h
                for h in hdul
                if isinstance(h, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU))
                and h.data is not None
            ]
            planes = _planes(path, images, bands)
    except (OSError, TypeError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a readable FITS file ({exc})") from exc
    shapes = {p.shape for p in planes}
    if len(shapes) != 1:
        raise DataFormatError(f"{path}: band images differ in shape {sorted(shapes)}")
    # astype copies big-endian FITS data into native float32.
    return np.stack([np.asarray(p).astype(np.float32) for p in planes])  # [C, H, W]


def _planes(path: Path, images: list[Any], bands: Sequence[str]) -> list[np.ndarray]:
    if len(images) == 1 and images[0].data.ndim == 3:
        cube = images[0].data
        if cube.shape[0] != len(bands):
            raise BandError(
                f"{path}: cube has {cube.shape[0]} bands, --bands names {len(bands)} "
                f"({','.join(bands)})",
                "give one band name per cube plane",
            )
        return list(cube)
    if any(h.data.ndim != 2 for h in images):
        raise DataFormatError(
            f"{path}: expected one [C, H, W] cube or 2-D image extensions, found shapes "
            f"{[h.data.shape for h in images]}"
        )
    names = [_band_name(h).lower() for h in images]
    wanted = [b.lower() for b in bands]
    if any(b in names for b in wanted):
        missing = [b for b, w in zip(bands, wanted, strict=True) if w not in names]
        if missing:
            raise BandError(
                f"{path}: band(s) {', '.join(missing)} not among its extensions "
                f"({', '.join(_band_name(h) for h in images)})",
                "name --bands after the EXTNAME/FILTER of the extensions",
            )
        return [images[names.index(w)].data for w in wanted]
    if len(images) != len(bands):
        raise BandError(
            f"{path}: {len(images)} image extension(s), --bands names {len(bands)} "
            f"({','.join(bands)})",
            "give one band name per image extension",
        )
    return [h.data for h in images]


def pixel_scale_from_header(path: Path) -> float | None:
    """Pixel scale in arcsec from PIXSCALE-like keys or the celestial WCS, if the header has one."""
    from astropy.io import fits
    from astropy.wcs import WCS, FITSFixedWarning
    from astropy.wcs.utils import proj_plane_pixel_scales

    with fits.open(path, memmap=False) as hdul:
        for hdu in hdul:
            for key in _PIXEL_SCALE_KEYS:
                if key in hdu.header:
                    return float(hdu.header[key])
            try:
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FITSFixedWarning)
                    wcs = WCS(hdu.header, naxis=2)
                if wcs.has_celestial:
                    return float(np.mean(proj_plane_pixel_scales(wcs.celestial)) * 3600)
            except Exception:  # a header without a usable WCS
                continue
    return None


def import_fits_folder(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    bands: Sequence[str],
    catalog: str | os.PathLike[str] | None = None,
    pixel_scale_arcsec: float | None = None,
    id_column: str | None = None,
    file_column: str | None = None,
    label_column: str | None = None,
    label_names: Sequence[str] | None = None,
    nan_policy: NanPolicy = "error",
    progress: bool = False,
    **writer_options: Any,
) -> ImportReport:
    """Convert a folder of FITS cutouts (+ catalog) into a cutout file at `out`, atomically.

    `writer_options` go to CutoutWriter (survey, source, license, image_unit).
    """
    files = fits_files(Path(folder))
    table = read_catalog(catalog) if catalog is not None else None
    ordered, table = match_catalog(files, table, id_column=id_column, file_column=file_column)
    columns, names = catalog_columns(table, label_column=label_column, label_names=label_names)
    columns.setdefault(fmt.OBJECT_ID, np.array([fits_stem(p) for p in ordered], dtype=object))
    first = read_fits_cutout(ordered[0], bands)
    scale = (
        pixel_scale_arcsec
        if pixel_scale_arcsec is not None
        else pixel_scale_from_header(ordered[0])
    )
    if scale is None:
        raise ConfigError(
            f"{ordered[0]}: no pixel scale in the FITS header", "give --pixel-scale (arcsec/pixel)"
        )
    cleaner = PixelCleaner(nan_policy)
    with CutoutWriter(
        out,
        bands=bands,
        image_size=(first.shape[1], first.shape[2]),
        pixel_scale_arcsec=scale,
        label_names=names,
        **{"source": f"imported from {Path(folder).name}", **writer_options},
    ) as writer:
        for rows in block_rows(len(ordered), progress, "importing FITS"):
            block = np.stack([_read_same_shape(ordered[i], bands, first.shape) for i in rows])
            block = cleaner.clean(block, [ordered[i].name for i in rows])
            writer.append(block, slice_columns(columns, rows))
    return ImportReport(
        Path(out),
        len(ordered),
        list(bands),
        first.shape,
        cleaner.n_masked_pixels,
        cleaner.n_masked_objects,
        names,
    )


def _read_same_shape(path: Path, bands: Sequence[str], shape: tuple[int, ...]) -> np.ndarray:
    image = read_fits_cutout(path, bands)
    if image.shape != shape:
        raise DataFormatError(
            f"{path}: cutout shape {list(image.shape)} differs from the first file's {list(shape)}",
            "all cutouts must share one [C, H, W]; crop or resample them first",
        )
    return image
