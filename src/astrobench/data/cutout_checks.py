"""Structural checks of a cutout file, run when it is opened: refuse what would crash later.

Every attribute and shape a later command relies on is checked here once, with a typed error
naming the file and the fix: the format version is a number, the pixel scale a positive number,
bands are distinct strings matching the image channels, the file holds at least one object, every
catalog column has one row per object, and no dataset declares more than the file stores
(storage_check.py). Label values are checked when the label column is read (`check_labels`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.storage_check import (
    check_declared_storage,
    check_rows_dataset,
    refuse_links_out,
)
from astrobench.errors import BandError, DataFormatError

_RECREATE = "re-create the file with astrobench (data synth / import / get)"
_ROW_DATASETS = (fmt.SPECTRA, fmt.SPECTRA_IVAR)
_SMALL_DATASETS = (fmt.WAVELENGTH, fmt.BOXES, fmt.BOX_LABELS, fmt.BOX_OFFSETS)


def check_cutout_structure(h5: h5py.File, path: Path) -> None:
    """Raise a typed error on the first structural problem of an open cutout file."""
    attrs = h5.attrs
    if _plain(attrs.get("astrobench_format")) != fmt.FORMAT_NAME:
        raise DataFormatError(
            f"{path}: not a finished astrobench cutout file",
            "its writer may have been killed; re-create it, or convert your data with "
            "`astrobench data import`",
        )
    _check_version(attrs.get("format_version"), path)
    missing = [key for key in fmt.REQUIRED_ROOT_ATTRS if key not in attrs]
    if missing:
        raise DataFormatError(f"{path}: missing root attributes {missing}", _RECREATE)
    bands = read_bands(attrs["bands"], path)
    read_pixel_scale(attrs["pixel_scale_arcsec"], path)
    refuse_links_out(h5, path)
    images, catalog = h5.get(fmt.IMAGES), h5.get(fmt.CATALOG)
    if not isinstance(images, h5py.Dataset) or not isinstance(catalog, h5py.Group):
        raise DataFormatError(f"{path}: missing /images dataset or /catalog group", _RECREATE)
    _check_images(images, bands, path)
    n = int(images.shape[0])
    for name, column in catalog.items():
        if not isinstance(column, h5py.Dataset) or column.shape != (n,):
            shape = getattr(column, "shape", "a group")
            raise DataFormatError(
                f"{path}: catalog column {name!r} has shape {shape} for {n} images", _RECREATE
            )
        check_declared_storage(column, path)
    _check_optional(h5, n, path)


def _check_version(raw: Any, path: Path) -> None:
    value = _plain(raw)
    try:
        version = int(value)
    except (TypeError, ValueError):
        version = None
    if version != fmt.FORMAT_VERSION or (isinstance(value, float) and value != int(value)):
        raise DataFormatError(
            f"{path}: cutout format_version {value!r}, this astrobench reads {fmt.FORMAT_VERSION}",
            "upgrade astrobench or re-create the file",
        )


def read_bands(raw: Any, path: Path) -> list[str]:
    """Band names from the `bands` attribute: distinct, non-empty strings."""
    values = _plain(raw)
    values = values if isinstance(values, list) else [values]
    bands = [v for v in values if isinstance(v, str) and v.strip()]
    if not bands or len(bands) != len(values) or len(set(bands)) != len(bands):
        raise DataFormatError(
            f"{path}: attribute 'bands' must be distinct band names, got {values!r}"[:300],
            _RECREATE,
        )
    return bands


def read_pixel_scale(raw: Any, path: Path) -> float:
    """The pixel scale in arcsec: a finite positive number."""
    value = _plain(raw)
    try:
        scale = float(value)
    except (TypeError, ValueError):
        scale = float("nan")
    if isinstance(value, (str, bool)) or not math.isfinite(scale) or scale <= 0:
        raise DataFormatError(
            f"{path}: pixel_scale_arcsec must be a positive number, got {value!r}"[:300],
            _RECREATE,
        )
    return scale


def _check_images(images: h5py.Dataset, bands: list[str], path: Path) -> None:
    if images.ndim != 4:
        raise DataFormatError(
            f"{path}: /images has shape {images.shape}, not [N, C, H, W]", _RECREATE
        )
    if images.dtype.kind not in "fiu":
        raise DataFormatError(f"{path}: /images holds {images.dtype}, not numbers", _RECREATE)
    if images.shape[1] != len(bands):
        raise BandError(
            f"{path}: /images has {images.shape[1]} channels but {len(bands)} band names {bands}",
            "re-create the file with one band name per channel",
        )
    if images.shape[0] == 0 or min(images.shape[2:]) == 0:
        raise DataFormatError(f"{path}: holds no images (shape {images.shape})", _RECREATE)
    check_rows_dataset(images, path)


def _check_optional(h5: h5py.File, n: int, path: Path) -> None:
    for name in (*_ROW_DATASETS, *_SMALL_DATASETS):
        dataset = h5.get(name)
        if dataset is None:
            continue
        if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "fiu":
            raise DataFormatError(f"{path}: /{name} is not a numeric dataset", _RECREATE)
        if name in _ROW_DATASETS and (dataset.ndim != 2 or dataset.shape[0] != n):
            raise DataFormatError(
                f"{path}: /{name} has shape {dataset.shape}, expected ({n}, L)", _RECREATE
            )
        if name in _ROW_DATASETS:
            check_rows_dataset(dataset, path)
        else:
            check_declared_storage(dataset, path)
    both = fmt.SPECTRA in h5 and fmt.WAVELENGTH in h5
    if both and h5[fmt.WAVELENGTH].shape != (h5[fmt.SPECTRA].shape[1],):
        raise DataFormatError(f"{path}: /wavelength does not match /spectra", _RECREATE)


def parse_label_names(raw: Any, path: Path) -> list[str]:
    """The catalog's `label_names` attribute: UTF-8 JSON list of strings."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        names = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataFormatError(
            f"{path}: catalog attribute label_names is not UTF-8 JSON ({type(exc).__name__})",
            'store it as a JSON list of class names, e.g. ["spiral", "elliptical"]',
        ) from exc
    if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
        raise DataFormatError(
            f"{path}: catalog attribute label_names must be a JSON list of strings",
            'store it as a JSON list of class names, e.g. ["spiral", "elliptical"]',
        )
    return names


def check_labels(labels: np.ndarray, names: list[str] | None, path: Path) -> None:
    """Labels are integers, -1 (none) or a class index below the number of names."""
    if labels.dtype.kind not in "iu":
        raise DataFormatError(f"{path}: catalog column 'label' holds {labels.dtype}, not integers")
    if labels.size == 0:
        return
    low, high = int(labels.min()), int(labels.max())
    upper = len(names) - 1 if names else None
    if low < fmt.NO_LABEL or (upper is not None and high > upper):
        allowed = f"-1..{upper}" if upper is not None else ">= -1"
        raise DataFormatError(
            f"{path}: labels span {low}..{high}, allowed {allowed} (-1 = no label)",
            "fix the labels or label_names, then re-create the file",
        )


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return repr(bytes(value))  # b'...', whether numpy or Python bytes
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
