"""Lazy, random-access reader of cutout files (HDF5, format_version 1).

Opening checks the structure (format, version, shapes, bands, catalog lengths); pixels are read
on demand. Checksum (fletcher32) failures and non-finite pixels become typed errors that name
the file and the object index. `validate_cutout_file` in validate.py scans every chunk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import h5py
import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.boxes import BoxTable, check_offsets
from astrobench.data.cutout_checks import (
    check_cutout_structure,
    check_labels,
    parse_label_names,
    read_bands,
    read_pixel_scale,
)
from astrobench.errors import (
    AstrobenchError,
    BandError,
    CorruptDataError,
    DataFormatError,
    MissingColumnError,
    NonFiniteDataError,
)

NanPolicy = Literal["error", "mask"]
# A small chunk cache: random access touches each chunk once, so caching buys nothing and
# would make memory grow with the number of objects read.
_CHUNK_CACHE_BYTES = 1 << 20


_REBOX = (
    "re-create it with `astrobench data synth --preset fields-desi-ls` or "
    "`astrobench data import-coco`"
)


class CutoutFile:
    """An open cutout file. `file[i]` is a sample dict of NumPy values for object i."""

    def __init__(self, path: str | os.PathLike[str], nan_policy: NanPolicy = "error") -> None:
        self.path = Path(path)
        self.nan_policy = nan_policy
        if not self.path.exists():
            raise DataFormatError(
                f"{self.path}: no such file",
                "check the path, or create one with `astrobench data synth`",
            )
        try:
            self._h5 = h5py.File(self.path, "r", rdcc_nbytes=_CHUNK_CACHE_BYTES)
        except OSError as exc:
            raise DataFormatError(
                f"{self.path}: not a readable HDF5 file ({_short(exc)})",
                "the file is truncated, corrupt or unfinished; re-create or re-download it",
            ) from exc
        try:
            self._check_structure()
        except Exception:
            self._h5.close()
            raise
        self.n_masked_pixels = 0
        self.n_masked_objects = 0

    # --- structure -------------------------------------------------------------------------
    def _check_structure(self) -> None:
        try:
            check_cutout_structure(self._h5, self.path)
        except AstrobenchError:
            raise
        except (KeyError, TypeError, ValueError, OSError, RuntimeError) as exc:
            raise DataFormatError(
                f"{self.path}: unreadable cutout file structure ({_short(exc)})",
                "re-create or re-download the file",
            ) from exc
        if self.has_boxes:
            self._check_box_structure()

    def _check_box_structure(self) -> None:
        missing = [k for k in (fmt.BOX_LABELS, fmt.BOX_OFFSETS) if k not in self._h5]
        if missing:
            raise DataFormatError(f"{self.path}: /boxes without {', '.join(missing)}", _REBOX)
        boxes, labels = self._h5[fmt.BOXES], self._h5[fmt.BOX_LABELS]
        if boxes.ndim != 2 or boxes.shape[1] != 4 or labels.shape != (boxes.shape[0],):
            raise DataFormatError(
                f"{self.path}: /boxes {boxes.shape} and /box_labels {labels.shape} are not "
                "[M, 4] and [M]",
                _REBOX,
            )
        offsets = self._h5[fmt.BOX_OFFSETS]
        if offsets.shape != (len(self) + 1,):
            raise DataFormatError(
                f"{self.path}: /box_offsets has shape {offsets.shape}, expected ({len(self) + 1},)",
                _REBOX,
            )
        check_offsets(offsets[()], len(self), int(boxes.shape[0]), str(self.path))

    # --- metadata ----------------------------------------------------------------------------
    @cached_property
    def _images(self) -> h5py.Dataset:
        # Looked up once: a group lookup per read costs more than reading a cutout.
        return self._h5[fmt.IMAGES]

    @cached_property
    def _images_shape(self) -> tuple[int, int, int, int]:
        n, c, h, w = self._images.shape
        return int(n), int(c), int(h), int(w)

    def __len__(self) -> int:
        return self._images_shape[0]

    @cached_property
    def bands(self) -> list[str]:
        """Band names, one per image channel."""
        return read_bands(self._h5.attrs["bands"], self.path)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """[C, H, W] of every cutout."""
        _, c, h, w = self._images_shape
        return c, h, w

    @property
    def pixel_scale_arcsec(self) -> float:
        return read_pixel_scale(self._h5.attrs["pixel_scale_arcsec"], self.path)

    @property
    def attrs(self) -> dict[str, Any]:
        """Root attributes as plain Python values."""
        return {key: _plain(value) for key, value in self._h5.attrs.items()}

    @cached_property
    def label_names(self) -> list[str] | None:
        raw = self._h5[fmt.CATALOG].attrs.get("label_names")
        return None if raw is None else parse_label_names(raw, self.path)

    @property
    def columns(self) -> list[str]:
        return sorted(self._h5[fmt.CATALOG].keys())

    @property
    def has_spectra(self) -> bool:
        return fmt.SPECTRA in self._h5

    @property
    def has_spectra_ivar(self) -> bool:
        return fmt.SPECTRA_IVAR in self._h5

    @property
    def spectrum_length(self) -> int:
        """Pixels per spectrum (0 without spectra)."""
        return int(self._h5[fmt.SPECTRA].shape[1]) if self.has_spectra else 0

    @property
    def has_boxes(self) -> bool:
        return fmt.BOXES in self._h5

    @cached_property
    def wavelength_angstrom(self) -> np.ndarray | None:
        return self._h5[fmt.WAVELENGTH][()] if fmt.WAVELENGTH in self._h5 else None

    @cached_property
    def _catalog_cache(self) -> dict[str, np.ndarray]:
        return {}

    def column(self, name: str) -> np.ndarray:
        """A whole catalog column (strings decoded to str)."""
        if name not in self._h5[fmt.CATALOG]:
            raise MissingColumnError(
                f"{self.path}: no catalog column {name!r}",
                f"available columns: {', '.join(self.columns)}",
            )
        if name not in self._catalog_cache:
            dataset = self._h5[fmt.CATALOG][name]
            if h5py.check_string_dtype(dataset.dtype) is not None:
                try:
                    values = dataset.asstr()[()]
                except UnicodeDecodeError as exc:
                    raise DataFormatError(
                        f"{self.path}: catalog column {name!r} holds text that is not UTF-8",
                        "re-create the file with UTF-8 strings",
                    ) from exc
                self._catalog_cache[name] = np.asarray(values, dtype=str)
            else:
                self._catalog_cache[name] = dataset[()]
            if name == fmt.LABEL:
                check_labels(self._catalog_cache[name], self.label_names, self.path)
        return self._catalog_cache[name]

    def has_column(self, name: str) -> bool:
        return name in self._h5[fmt.CATALOG]

    def require_columns(self, names: Sequence[str]) -> None:
        """Raise MissingColumnError naming the first absent column."""
        for name in names:
            self.column(name)

    def band_indices(self, bands: Sequence[str]) -> list[int]:
        """Channel indices of `bands`, in the order asked for."""
        missing = [b for b in bands if b not in self.bands]
        if missing:
            raise BandError(
                f"{self.path}: band(s) {', '.join(missing)} not in the file's bands "
                f"{','.join(self.bands)}",
                "choose bands from those the file has",
            )
        return [self.bands.index(b) for b in bands]

    # --- pixels ------------------------------------------------------------------------------
    def read_images(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Images of `indices` (any order, repeats allowed) as float32 [n, C, H, W]."""
        order = np.asarray(indices, dtype=np.int64)
        if order.size and (order.min() < 0 or order.max() >= len(self)):
            raise IndexError(f"object index out of range 0..{len(self) - 1}")
        shape = self.image_shape
        out = np.empty((order.size, *shape), dtype=np.float32)
        # Low-level reads, one chunk per object: a third of the cost of h5py's selections.
        dataset_id = self._images.id
        file_space = dataset_id.get_space()
        memory_space = h5py.h5s.create_simple((1, *shape))
        for row, index in enumerate(order.tolist()):
            file_space.select_hyperslab((index, 0, 0, 0), (1, *shape))
            try:
                dataset_id.read(memory_space, file_space, out[row : row + 1])
            except OSError as exc:
                raise _corrupt(self.path, int(index), exc) from exc
        return self._check_finite(out, order)

    def read_image(self, index: int) -> np.ndarray:
        """One image, float32 [C, H, W]."""
        return self.read_images([index])[0]

    def read_slice(self, start: int, stop: int) -> np.ndarray:
        """Images start..stop-1 in one read (for sequential scans), float32 [n, C, H, W]."""
        try:
            block = np.asarray(self._images[start:stop], dtype=np.float32)
        except OSError:
            return self.read_images(np.arange(start, stop))  # names the bad object
        return self._check_finite(block, np.arange(start, stop))

    def _check_finite(self, images: np.ndarray, indices: np.ndarray) -> np.ndarray:
        finite = np.isfinite(images)
        if finite.all():
            return images
        if self.nan_policy == "error":
            bad = int(indices[np.flatnonzero(~finite.reshape(len(images), -1).all(axis=1))[0]])
            raise NonFiniteDataError(
                f"{self.path}: object {bad} has NaN or infinite pixels",
                "use nan_policy='mask' (CLI: --nan-policy mask) to replace them with 0 and "
                "count them",
            )
        self.n_masked_pixels += int((~finite).sum())
        self.n_masked_objects += int((~finite.reshape(len(images), -1).all(axis=1)).sum())
        return np.where(finite, images, np.float32(0.0))

    def read_spectrum(self, index: int) -> np.ndarray:
        return self._read_spectrum_row(fmt.SPECTRA, index)

    def _read_spectrum_row(self, name: str, index: int) -> np.ndarray:
        """One row of /spectra or /spectra_ivar, float32 [L]; a failing checksum names it."""
        try:
            return np.asarray(self._h5[name][index], dtype=np.float32)
        except OSError as exc:
            what = "spectrum" if name == fmt.SPECTRA else "spectrum inverse variance"
            raise _corrupt(self.path, index, exc, what=what) from exc

    def read_spectra_slice(self, start: int, stop: int) -> np.ndarray:
        """Spectra start..stop-1 in one read (for sequential scans), float32 [n, L]."""
        try:
            return np.asarray(self._h5[fmt.SPECTRA][start:stop], dtype=np.float32)
        except OSError:
            return np.stack([self.read_spectrum(i) for i in range(start, stop)])  # names it

    def read_spectrum_rows(self, indices: np.ndarray, ivar: bool = False) -> np.ndarray:
        """Spectra (or their inverse variances) of sorted, unique `indices`, float32 [n, L]."""
        name = fmt.SPECTRA_IVAR if ivar else fmt.SPECTRA
        rows = np.asarray(indices, dtype=np.int64)
        if rows.size == 0:
            return np.empty((0, self._h5[name].shape[1]), dtype=np.float32)
        span = int(rows[-1]) - int(rows[0]) + 1
        try:
            if span <= 2 * rows.size:  # dense: one contiguous read, then pick
                block = self._h5[name][int(rows[0]) : int(rows[-1]) + 1][rows - rows[0]]
            else:  # sparse: read only the rows asked for
                block = self._h5[name][rows]
        except OSError:  # a chunk holds many rows: read them one by one to name the bad one
            return np.stack([self._read_spectrum_row(name, index) for index in rows.tolist()])
        return np.asarray(block, dtype=np.float32)

    @cached_property
    def box_label_names(self) -> list[str] | None:
        """Names of the box classes (`/box_labels` attribute `label_names`), if any."""
        if not self.has_boxes:
            return None
        raw = self._h5[fmt.BOX_LABELS].attrs.get("label_names")
        return None if raw is None else [str(name) for name in json.loads(raw)]

    def box_table(self) -> BoxTable:
        """Every box of the file at once; raise DataFormatError when the file has none."""
        if not self.has_boxes:
            raise DataFormatError(
                f"{self.path}: this file has no /boxes",
                "detection needs a file with boxes: `astrobench data synth --preset "
                "fields-desi-ls` or `astrobench data import-coco`",
            )
        return BoxTable(
            boxes=np.asarray(self._h5[fmt.BOXES][()], dtype=np.float32),
            labels=np.asarray(self._h5[fmt.BOX_LABELS][()], dtype=np.int64),
            offsets=np.asarray(self._h5[fmt.BOX_OFFSETS][()], dtype=np.int64),
            label_names=list(self.box_label_names or []),
        )

    def read_boxes(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes [K, 4] (x0, y0, x1, y1 pixels) and their labels [K] of object `index`."""
        offsets = self._h5[fmt.BOX_OFFSETS]
        start, stop = int(offsets[index]), int(offsets[index + 1])
        return self._h5[fmt.BOXES][start:stop], self._h5[fmt.BOX_LABELS][start:stop]

    def __getitem__(self, index: int) -> dict[str, Any]:
        """Sample dict: image [C, H, W], index, and label/redshift/spectrum/boxes if present."""
        sample: dict[str, Any] = {"image": self.read_image(index), "index": int(index)}
        for name in (fmt.LABEL, fmt.REDSHIFT):
            if self.has_column(name):
                sample[name] = self.column(name)[index].item()
        if self.has_spectra:
            sample["spectrum"] = self.read_spectrum(index)
        if self.has_boxes:
            sample["boxes"], sample["box_labels"] = self.read_boxes(index)
        return sample

    # --- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._h5.id.valid:
            self._h5.close()

    def __enter__(self) -> CutoutFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_cutouts(path: str | os.PathLike[str], nan_policy: NanPolicy = "error") -> CutoutFile:
    """Open and structurally check a cutout file."""
    return CutoutFile(path, nan_policy=nan_policy)


def _corrupt(path: Path, index: int, exc: OSError, what: str = "image") -> CorruptDataError:
    return CorruptDataError(
        f"{path}: the {what} of object {index} fails its checksum ({_short(exc)})",
        "the file is damaged on disk; re-create or re-download it",
    )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 120 else text[:117] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
