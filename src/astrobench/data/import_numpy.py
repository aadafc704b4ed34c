"""Import NumPy image arrays (.npy / .npz, NCHW or NHWC) plus a catalog into a cutout file.

A .npy file is memory-mapped and converted in blocks, so files larger than memory import fine.
Catalog rows are matched to images by position: row i describes image i.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.import_catalog import (
    ImportReport,
    NanPolicy,
    PixelCleaner,
    block_rows,
    catalog_columns,
    read_catalog,
    slice_columns,
)
from astrobench.errors import BandError, ConfigError, DataFormatError

Layout = Literal["NCHW", "NHWC"]
_DEFAULT_KEYS = ("images", "image", "x", "cutouts")


def load_image_array(path: Path, array_key: str | None = None) -> np.ndarray:
    """The 4-D image array of a .npy (memory-mapped) or .npz file."""
    if not path.exists():
        raise DataFormatError(f"{path}: no such file", "give a .npy or .npz file of images")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        elif suffix == ".npz":
            array = _npz_member(path, array_key)
        else:
            raise DataFormatError(f"{path}: expected a .npy or .npz file, not {suffix!r}")
    except (ValueError, OSError) as exc:
        raise DataFormatError(f"{path}: cannot read the array ({exc})") from exc
    if array.ndim != 4:
        raise DataFormatError(
            f"{path}: images have shape {list(array.shape)}, expected 4 dimensions",
            "give [N, C, H, W] (--layout NCHW) or [N, H, W, C] (--layout NHWC)",
        )
    if array.dtype.kind not in "fiu":
        raise DataFormatError(f"{path}: images have dtype {array.dtype}, expected numbers")
    return array


def _npz_member(path: Path, array_key: str | None) -> np.ndarray:
    with np.load(path, allow_pickle=False) as archive:
        keys = list(archive.keys())
        if array_key is None:
            found = [k for k in _DEFAULT_KEYS if k in keys]
            if len(keys) == 1:
                array_key = keys[0]
            elif found:
                array_key = found[0]
            else:
                raise ConfigError(
                    f"{path}: which array holds the images? it has {', '.join(keys)}",
                    "give --array-key",
                )
        if array_key not in keys:
            raise ConfigError(f"{path}: no array {array_key!r}; it has {', '.join(keys)}")
        return archive[array_key]


def to_nchw(block: np.ndarray, layout: Layout) -> np.ndarray:
    """A block of images as native-endian float32 [n, C, H, W]."""
    if layout == "NHWC":
        block = np.transpose(block, (0, 3, 1, 2))
    return np.ascontiguousarray(block, dtype=np.float32)


def import_numpy_arrays(
    images: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    bands: Sequence[str],
    layout: Layout,
    pixel_scale_arcsec: float | None,
    catalog: str | os.PathLike[str] | None = None,
    array_key: str | None = None,
    label_column: str | None = None,
    label_names: Sequence[str] | None = None,
    nan_policy: NanPolicy = "error",
    progress: bool = False,
    **writer_options: Any,
) -> ImportReport:
    """Convert an image array (+ catalog, one row per image) into a cutout file at `out`."""
    if layout not in ("NCHW", "NHWC"):
        raise ConfigError(f"--layout must be NCHW or NHWC, got {layout!r}")
    if pixel_scale_arcsec is None:
        raise ConfigError("NumPy arrays carry no pixel scale", "give --pixel-scale (arcsec/pixel)")
    path = Path(images)
    array = load_image_array(path, array_key)
    n = array.shape[0]
    c, h, w = array.shape[1:] if layout == "NCHW" else (array.shape[3], *array.shape[1:3])
    if c != len(bands):
        raise BandError(
            f"{path}: images have {c} channels ({layout} {list(array.shape)}), --bands names "
            f"{len(bands)} ({','.join(bands)})",
            "give one band name per channel, or check --layout",
        )
    columns, names = _columns(catalog, n, label_column, label_names)
    cleaner = PixelCleaner(nan_policy)
    with CutoutWriter(
        out,
        bands=bands,
        image_size=(h, w),
        pixel_scale_arcsec=pixel_scale_arcsec,
        label_names=names,
        **{"source": f"imported from {path.name}", **writer_options},
    ) as writer:
        for rows in block_rows(n, progress, "importing arrays"):
            block = to_nchw(array[rows[0] : rows[-1] + 1], layout)  # [n, C, H, W]
            block = cleaner.clean(block, [f"image {i}" for i in rows])
            writer.append(block, slice_columns(columns, rows))
    return ImportReport(
        Path(out),
        n,
        list(bands),
        (c, h, w),
        cleaner.n_masked_pixels,
        cleaner.n_masked_objects,
        names,
    )


def _columns(
    catalog: str | os.PathLike[str] | None,
    n: int,
    label_column: str | None,
    label_names: Sequence[str] | None,
) -> tuple[dict[str, np.ndarray], list[str] | None]:
    if catalog is None:
        if label_column is not None:
            raise ConfigError("--label-column needs --catalog")
        return {fmt.OBJECT_ID: np.arange(n, dtype=np.int64)}, None
    table = read_catalog(catalog)
    if len(table) != n:
        raise DataFormatError(
            f"{catalog}: catalog has {len(table)} rows for {n} images",
            "give exactly one catalog row per image, in the same order",
        )
    columns, names = catalog_columns(table, label_column=label_column, label_names=label_names)
    columns.setdefault(fmt.OBJECT_ID, np.arange(n, dtype=np.int64))
    return columns, names
