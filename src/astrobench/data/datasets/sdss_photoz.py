"""SDSS photo-z cube of Pasquet et al. (2019): 659,857 ugriz cutouts of 64 px with redshifts.

Original layout: one `sdss.npz` holding `cube` float32 [N, 64, 64, 5] (NHWC, bands u,g,r,i,z,
54 GB uncompressed) and `labels`, a record array with 64 columns including `z`, `ra`, `dec`,
`dered_petro_r` and `primtarget`. The cube is streamed from the zip member in blocks of rows, so it
is never loaded whole. Every label column is kept; `z` becomes `redshift` and `dered_petro_<band>`
is copied to `mag_<band>`. The direct download URL is unverified: override it with --url or
$ASTROBENCH_SDSS_PHOTOZ_URL.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import numpy as np

from astrobench.data.datasets.base import PublicDataset, Resource, resize_nchw
from astrobench.data.download import progress_bar
from astrobench.errors import DataFormatError, MissingColumnError
from astrobench.registry import register_dataset

_CHUNK_ROWS = 512


@register_dataset("sdss-photoz")
class SdssPhotoz(PublicDataset):
    """The Pasquet et al. (2019) SDSS cube: ugriz images, spectroscopic redshift, magnitudes."""

    name = "sdss-photoz"
    description = "659,857 SDSS ugriz 64 px cutouts with spectroscopic redshifts (54 GB)"
    resources = (
        Resource(
            url="https://deepdip.iap.fr/api/v1/item/60ef1e05be2b8ebb048d951d/download",
            filename="sdss.npz",
            url_env="ASTROBENCH_SDSS_PHOTOZ_URL",
            url_verified=False,
        ),
    )
    bands = ("u", "g", "r", "i", "z")
    pixel_scale_arcsec = 0.396
    survey = "SDSS DR12 (Pasquet et al. 2019)"
    license = "unverified (no licence found with the IAP deepdip distribution)"
    citation = "Pasquet et al. 2019, A&A 621, A26"
    homepage = "https://deepdip.iap.fr/#item/60ef1e05be2b8ebb048d951d"
    image_unit = "as distributed in sdss.npz (unverified)"
    unverified = (
        "direct download URL (a Girder guess; override with $ASTROBENCH_SDSS_PHOTOZ_URL or --url)",
        "file size and checksum (none published)",
        "the full list of the 64 label columns and the image unit",
        "licence",
    )

    def convert(self, raw_paths: Mapping[str, Path], out_path: Path) -> Path:
        """Stream `cube` in blocks of rows; catalog from `labels`."""
        path = raw_paths[self.resources[0].filename]
        try:
            with np.load(path, allow_pickle=False) as npz:
                if "labels" not in npz.files or "cube" not in npz.files:
                    raise MissingColumnError(
                        f"{path}: expected arrays cube and labels, found {npz.files}",
                        "this is not the original sdss.npz; download it again",
                    )
                catalog = catalog_from_labels(npz["labels"])
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            raise DataFormatError(
                f"{path}: not a readable .npz ({exc})", "download it again"
            ) from exc
        with zipfile.ZipFile(path) as archive, archive.open("cube.npy") as member:
            shape, dtype = _npy_header(member, path)
            n, height = shape[0], shape[1]
            if shape[1:] != (height, height, len(self.bands)) or n != len(catalog["object_id"]):
                raise DataFormatError(
                    f"{path}: cube is {shape}, expected ({len(catalog['object_id'])}, H, H, 5)"
                )
            size = self.image_size_px or height
            with (
                self.writer(
                    out_path,
                    (size, size),
                    pixel_scale_arcsec=self.pixel_scale_arcsec * height / size,
                    allow_nonfinite=True,
                    expected_objects=n,
                ) as writer,
                progress_bar(n, f"converting {self.name}", enabled=self.progress) as done,
            ):
                for start, block in _npy_blocks(member, shape, dtype, _CHUNK_ROWS):
                    stop = start + len(block)
                    images = resize_nchw(block.transpose(0, 3, 1, 2), size)  # [b, 5, S, S]
                    writer.append(images, {k: v[start:stop] for k, v in catalog.items()})
                    done(stop - start)
        return out_path


def catalog_from_labels(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Catalog columns from the `labels` record array (z -> redshift, dered_petro_b -> mag_b)."""
    if labels.dtype.names is None or "z" not in labels.dtype.names:
        raise MissingColumnError(
            f"`labels` has fields {labels.dtype.names}, expected a record array with `z`",
            "this is not the original sdss.npz",
        )
    columns: dict[str, np.ndarray] = {"object_id": np.arange(len(labels), dtype=np.int64)}
    for name in labels.dtype.names:
        values = np.asarray(labels[name])
        target = "redshift" if name == "z" else name
        if values.ndim > 1:  # a sub-array field: one column per element
            for j in range(values.shape[1]):
                columns[f"{target}_{j}"] = values[:, j]
            continue
        columns[target] = (
            values.astype(str).astype(object) if values.dtype.kind in ("S",) else values
        )
        if name.startswith("dered_petro_") and len(name) == len("dered_petro_") + 1:
            columns[f"mag_{name[-1]}"] = values.astype(np.float64)
    return columns


def _npy_header(member: IO[bytes], path: Path) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(member)
    read = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran_order, dtype = read(member)
    if fortran_order or dtype.hasobject or len(shape) != 4:
        raise DataFormatError(f"{path}: cube.npy is {shape} {dtype} (fortran={fortran_order})")
    return tuple(int(s) for s in shape), dtype


def _npy_blocks(
    member: IO[bytes], shape: tuple[int, ...], dtype: np.dtype, chunk_rows: int
) -> Iterator[tuple[int, np.ndarray]]:
    row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
    for start in range(0, shape[0], chunk_rows):
        rows = min(chunk_rows, shape[0] - start)
        data = member.read(rows * row_bytes)
        if len(data) != rows * row_bytes:
            raise DataFormatError(f"cube.npy ends after {start} rows, expected {shape[0]}")
        yield start, np.frombuffer(data, dtype=dtype).reshape(rows, *shape[1:]).astype(np.float32)
