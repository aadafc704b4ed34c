"""Streaming, atomic writer of cutout files.

Objects are appended in chunks; the file is built under a temporary name in the destination
folder and only renamed to its final name by `close()`. The root attribute `astrobench_format` is
written last, so even the temporary file never reads as a finished cutout file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

import astrobench
from astrobench.atomic import commit_temporary, temporary_path_for
from astrobench.data import cutout_format as fmt
from astrobench.data.hdf5_faults import (
    file_size_limit_lifted,
    free_aborted_file,
    surface_swallowed_write_errors,
)
from astrobench.data.storage_check import check_object_limits
from astrobench.disk import (
    human_bytes,
    require_free_space,
    room_for_file,
    storage_error,
    storage_failure,
)
from astrobench.errors import ConfigError, DataFormatError, NonFiniteDataError, StorageError

_STRING_DTYPE = h5py.string_dtype(encoding="utf-8")
_FIXED_DTYPES = {fmt.LABEL: np.int64, fmt.SPLIT: np.int8}
# Room kept free for what HDF5 writes later: cached chunks (1 MiB cache) and the metadata at close.
_CLOSE_RESERVE = 2 << 20


class CutoutWriter:
    """Append cutouts (and their catalog rows, spectra, boxes) to a new cutout file.

    Use as a context manager: the file appears under its final name only if the block ends
    without an exception; otherwise the temporary file is removed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        bands: Sequence[str],
        image_size: tuple[int, int],
        pixel_scale_arcsec: float,
        survey: str = "custom",
        source: str = "",
        license: str = "unknown",
        image_unit: str = "arbitrary",
        label_names: Sequence[str] | None = None,
        wavelength_angstrom: np.ndarray | None = None,
        with_spectra_ivar: bool = False,
        with_boxes: bool = False,
        allow_nonfinite: bool = False,
        attrs: Mapping[str, Any] | None = None,
        expected_objects: int | None = None,
    ) -> None:
        if len(bands) == 0 or len(set(bands)) != len(bands):
            raise ConfigError(f"bands must be distinct and non-empty, got {list(bands)}")
        self.path = Path(path)
        self.bands = [str(b) for b in bands]
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.label_names = list(label_names) if label_names is not None else None
        self.allow_nonfinite = allow_nonfinite
        self._root_attrs: dict[str, Any] = {
            "survey": survey,
            "bands": self.bands,
            "pixel_scale_arcsec": float(pixel_scale_arcsec),
            "image_unit": image_unit,
            "source": source,
            "license": license,
            "created_by": f"astrobench {astrobench.__version__}",
            **dict(attrs or {}),
        }
        self._expected_bytes = self._check_room(expected_objects, wavelength_angstrom)
        try:
            self._tmp = temporary_path_for(self.path)
        except OSError as exc:
            raise self._storage_error(exc) from exc
        try:
            self._h5 = h5py.File(self._tmp, "w")
        except OSError as exc:
            self._tmp.unlink(missing_ok=True)
            raise self._storage_error(exc) from exc
        self.n = 0
        self._columns: dict[str, h5py.Dataset] | None = None
        c, (h, w) = len(self.bands), self.image_size
        self._images = self._h5.create_dataset(
            fmt.IMAGES,
            shape=(0, c, h, w),
            maxshape=(None, c, h, w),
            dtype=np.float32,
            chunks=(1, c, h, w),
            fletcher32=True,
        )
        self._catalog = self._h5.create_group(fmt.CATALOG)
        self._spectra: h5py.Dataset | None = None
        self._spectra_ivar: h5py.Dataset | None = None
        if wavelength_angstrom is not None:
            wave = np.asarray(wavelength_angstrom, dtype=np.float32)
            self._h5.create_dataset(fmt.WAVELENGTH, data=wave)
            length = wave.shape[0]
            self._spectra = self._make_rows(fmt.SPECTRA, length)
            if with_spectra_ivar:
                self._spectra_ivar = self._make_rows(fmt.SPECTRA_IVAR, length)
        self._with_boxes = with_boxes
        self._box_rows = 0
        if with_boxes:
            self._boxes = self._make_rows(fmt.BOXES, 4)
            self._box_labels = self._h5.create_dataset(
                fmt.BOX_LABELS, shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(4096,)
            )
            self._box_counts: list[int] = []

    def _check_room(self, expected: int | None, wavelength: np.ndarray | None) -> int | None:
        """Refuse up front a file that passes the object limits or the free disk space."""
        if expected is None:
            return None
        spectrum = 0 if wavelength is None else 4 * int(np.asarray(wavelength).size)
        per_object = 4 * len(self.bands) * self.image_size[0] * self.image_size[1] + spectrum
        check_object_limits(int(expected), per_object, self.path)
        needed = int(expected) * (per_object + 64)  # + catalog rows and chunk index
        require_free_space(self.path.parent, needed, f"{self.path.name} ({expected:,} objects)")
        return needed

    def _require_room(self, *blocks: np.ndarray | None) -> None:
        """Refuse a block the disk cannot take before HDF5 writes it: a write failing inside
        HDF5 can leave the library in a state that crashes the process at exit."""
        room = room_for_file(self._tmp)
        if room is None:
            return
        needed = sum(np.asarray(b).size * 4 for b in blocks if b is not None) + _CLOSE_RESERVE
        if needed > room:
            self.abort()
            raise StorageError(
                f"disk full writing into {self.path.parent.absolute()} ({self.path.name} after "
                f"{self.n:,} objects needs {human_bytes(needed)} more, {human_bytes(room)} free)",
                "free space there or choose another output folder",
            )

    def _storage_error(self, exc: OSError) -> Exception:
        """A StorageError naming the folder when `exc` is disk full / read-only, else `exc`."""
        if storage_failure(exc) is None:
            return exc
        return storage_error(exc, self.path.parent.absolute(), self._expected_bytes)

    def _make_rows(self, name: str, width: int) -> h5py.Dataset:
        return self._h5.create_dataset(
            name,
            shape=(0, width),
            maxshape=(None, width),
            dtype=np.float32,
            chunks=(max(1, min(256, 2**20 // (4 * width))), width),
            fletcher32=True,
        )

    def append(
        self,
        images: np.ndarray,
        catalog: Mapping[str, Sequence[Any] | np.ndarray],
        *,
        spectra: np.ndarray | None = None,
        spectra_ivar: np.ndarray | None = None,
        boxes: Sequence[np.ndarray] | None = None,
        box_labels: Sequence[np.ndarray] | None = None,
    ) -> None:
        """Append `n` objects: images [n, C, H, W] and catalog columns of length n."""
        try:
            self._require_room(images, spectra, spectra_ivar)
            with surface_swallowed_write_errors():
                self._append(images, catalog, spectra, spectra_ivar, boxes, box_labels)
        except OSError as exc:
            self.abort()
            raise self._storage_error(exc) from exc

    def _append(
        self,
        images: np.ndarray,
        catalog: Mapping[str, Sequence[Any] | np.ndarray],
        spectra: np.ndarray | None,
        spectra_ivar: np.ndarray | None,
        boxes: Sequence[np.ndarray] | None,
        box_labels: Sequence[np.ndarray] | None,
    ) -> None:
        images = np.asarray(images, dtype=np.float32)
        n = images.shape[0]
        expected = (len(self.bands), *self.image_size)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise DataFormatError(
                f"images of shape {images.shape[1:]} do not match the file's [C, H, W] {expected}",
                "give images as [N, C, H, W] with one channel per band",
            )
        if not self.allow_nonfinite and not np.isfinite(images).all():
            bad = int(np.flatnonzero(~np.isfinite(images).reshape(n, -1).all(axis=1))[0])
            raise NonFiniteDataError(
                f"object {self.n + bad} has NaN or infinite pixels",
                "mask them first, or write with allow_nonfinite=True",
            )
        self._append_catalog(catalog, n)
        _extend(self._images, images)
        self._append_spectra(spectra, spectra_ivar, n)
        if self._with_boxes:
            self._append_boxes(boxes, box_labels, n)
        self.n += n

    def _append_catalog(self, catalog: Mapping[str, Sequence[Any] | np.ndarray], n: int) -> None:
        arrays = {name: _column_array(name, values) for name, values in catalog.items()}
        for name, values in arrays.items():
            if values.shape != (n,):
                raise DataFormatError(
                    f"catalog column {name!r} has shape {values.shape}, expected ({n},)",
                    "give one catalog value per object",
                )
        if self._columns is None:
            self._columns = {
                name: self._catalog.create_dataset(
                    name,
                    shape=(0,),
                    maxshape=(None,),
                    dtype=_STRING_DTYPE if values.dtype.kind in "USO" else values.dtype,
                    chunks=(8192,),
                )
                for name, values in arrays.items()
            }
        if set(arrays) != set(self._columns):
            raise DataFormatError(
                f"catalog columns changed between chunks: {sorted(arrays)} vs "
                f"{sorted(self._columns)}",
                "append the same columns every time",
            )
        for name, values in arrays.items():
            _extend(
                self._columns[name],
                values.astype(object) if values.dtype.kind in ("U",) else values,
            )

    def _append_spectra(self, spectra: np.ndarray | None, ivar: np.ndarray | None, n: int) -> None:
        for data, dataset, what in (
            (spectra, self._spectra, "spectra"),
            (ivar, self._spectra_ivar, "spectra_ivar"),
        ):
            if dataset is None:
                if data is not None:
                    raise ConfigError(f"{what} given but the writer was created without them")
                continue
            if data is None:
                raise ConfigError(f"this file holds {what}: pass them with every append")
            data = np.asarray(data, dtype=np.float32)
            if data.shape != (n, dataset.shape[1]):
                raise DataFormatError(
                    f"{what} of shape {data.shape} do not match ({n}, {dataset.shape[1]})",
                    "give one spectrum per object on the file's wavelength grid",
                )
            _extend(dataset, data)

    def _append_boxes(
        self, boxes: Sequence[np.ndarray] | None, labels: Sequence[np.ndarray] | None, n: int
    ) -> None:
        if boxes is None or labels is None or len(boxes) != n or len(labels) != n:
            raise ConfigError(
                "this file holds boxes: pass boxes and box_labels, one array per object"
            )
        for object_boxes, object_labels in zip(boxes, labels, strict=True):
            b = np.asarray(object_boxes, dtype=np.float32).reshape(-1, 4)
            lab = np.asarray(object_labels, dtype=np.int64).reshape(-1)
            if len(b) != len(lab):
                raise DataFormatError("each box needs exactly one label")
            _extend(self._boxes, b)
            _extend(self._box_labels, lab)
            self._box_counts.append(len(b))

    def close(self) -> Path:
        """Finish the file: write the attributes, flush, fsync and rename it to its final name."""
        if self._columns is None:
            self.abort()
            raise DataFormatError(f"no objects were written to {self.path}", "append at least one")
        try:
            with surface_swallowed_write_errors():
                self._finish()
        except OSError as exc:
            self.abort()
            raise self._storage_error(exc) from exc
        return self.path

    def _finish(self) -> None:
        if self._with_boxes:
            offsets = np.concatenate([[0], np.cumsum(self._box_counts)]).astype(np.int64)
            self._h5.create_dataset(fmt.BOX_OFFSETS, data=offsets)
        if self.label_names is not None:
            self._catalog.attrs["label_names"] = json.dumps(self.label_names)
        for key, value in self._root_attrs.items():
            self._h5.attrs[key] = value
        self._h5.attrs["format_version"] = fmt.FORMAT_VERSION
        # Written last: a file without this attribute is never taken as a finished cutout file.
        self._h5.attrs["astrobench_format"] = fmt.FORMAT_NAME
        self._h5.close()
        commit_temporary(self._tmp, self.path)

    def abort(self) -> None:
        """Drop everything written so far; the temporary file goes even if closing fails.

        Closing flushes HDF5's cached metadata and chunks, which fails again on a full disk and
        leaves the file open in the library (whose exit-time flush then crashes the process).
        Nothing of an aborted file is wanted, so it is truncated to 0 bytes first (freeing its
        space; a ulimit -f is lifted meanwhile): the flush succeeds, the handle closes, and the
        temporary file is removed.
        """
        try:
            with surface_swallowed_write_errors(), file_size_limit_lifted():
                if self._h5.id.valid:
                    free_aborted_file(self._h5)
                    self._h5.close()
        except Exception:
            pass  # the temporary file is removed below whatever closing did
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> CutoutWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _extend(dataset: h5py.Dataset, rows: np.ndarray) -> None:
    start = dataset.shape[0]
    dataset.resize(start + rows.shape[0], axis=0)
    dataset[start:] = rows


def _column_array(name: str, values: Sequence[Any] | np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    if name in _FIXED_DTYPES:
        return array.astype(_FIXED_DTYPES[name])
    if array.dtype.kind in ("f",) and array.dtype.itemsize < 4:
        return array.astype(np.float32)
    return array


def write_cutouts(
    path: str | os.PathLike[str],
    images: np.ndarray,
    catalog: Mapping[str, Sequence[Any] | np.ndarray],
    *,
    bands: Sequence[str],
    pixel_scale_arcsec: float,
    **kwargs: Any,
) -> Path:
    """Write a whole in-memory set of cutouts in one go (small files, tests)."""
    spectra = kwargs.pop("spectra", None)
    spectra_ivar = kwargs.pop("spectra_ivar", None)
    boxes = kwargs.pop("boxes", None)
    box_labels = kwargs.pop("box_labels", None)
    with CutoutWriter(
        path,
        bands=bands,
        image_size=(images.shape[2], images.shape[3]),
        pixel_scale_arcsec=pixel_scale_arcsec,
        with_spectra_ivar=spectra_ivar is not None,
        with_boxes=boxes is not None,
        **kwargs,
    ) as writer:
        writer.append(
            images,
            catalog,
            spectra=spectra,
            spectra_ivar=spectra_ivar,
            boxes=boxes,
            box_labels=box_labels,
        )
    return Path(path)
