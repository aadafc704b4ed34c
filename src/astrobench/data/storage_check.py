"""Declared shapes are never trusted: check them against what the file really stores.

An HDF5 dataset's shape is a promise, not a fact: a 100 KB file can declare 10⁹ images whose
chunks were never written (they read as the fill value). Code that sizes buffers, progress bars
or output files from the shape would then allocate gigabytes or fill a disk. Before anything
is allocated, every dataset a reader touches is checked here:

- no external links, virtual datasets or external raw storage (they read other files);
- chunked: every declared chunk is stored; contiguous: the stored bytes cover the shape;
- the number of objects and the bytes of one object stay under configurable limits
  (environment `ASTROBENCH_MAX_OBJECTS`, `ASTROBENCH_MAX_OBJECT_BYTES`).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py

from astrobench.errors import DataFormatError

_DEFAULT_MAX_OBJECTS = 100_000_000
_DEFAULT_MAX_OBJECT_BYTES = 256 << 20  # one cutout (or spectrum) of at most 256 MiB


@dataclass(frozen=True)
class ReadLimits:
    """Upper bounds on what a declared shape may ask for."""

    max_objects: int = _DEFAULT_MAX_OBJECTS
    max_object_bytes: int = _DEFAULT_MAX_OBJECT_BYTES


def read_limits() -> ReadLimits:
    """Limits from the environment (ASTROBENCH_MAX_OBJECTS, ASTROBENCH_MAX_OBJECT_BYTES)."""
    return ReadLimits(
        max_objects=_env_int("ASTROBENCH_MAX_OBJECTS", _DEFAULT_MAX_OBJECTS),
        max_object_bytes=_env_int("ASTROBENCH_MAX_OBJECT_BYTES", _DEFAULT_MAX_OBJECT_BYTES),
    )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        from astrobench.errors import ConfigError

        raise ConfigError(f"${name} must be a whole number, got {raw!r}") from None
    return max(1, value)


def refuse_links_out(group: h5py.Group, path: Path) -> None:
    """Raise if any member of `group` (recursively) is an external link to another file."""
    for name in group:
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise DataFormatError(
                f"{path}: {group.name.rstrip('/')}/{name} is an external link to {link.filename}",
                "a cutout file must hold its own data; copy the data in (h5copy) or re-create it",
            )
        if isinstance(link, h5py.HardLink) and isinstance(group[name], h5py.Group):
            refuse_links_out(group[name], path)


def check_declared_storage(dataset: h5py.Dataset, path: Path) -> None:
    """Raise DataFormatError when `dataset` declares more data than the file stores."""
    where = f"{path}: {dataset.name}"
    if dataset.is_virtual:
        raise DataFormatError(f"{where} is a virtual dataset (reads other files)", _RECREATE)
    plist = dataset.id.get_create_plist()
    if plist.get_external_count() > 0:
        raise DataFormatError(f"{where} keeps its bytes in external files", _RECREATE)
    shape = tuple(int(s) for s in dataset.shape or ())
    layout = plist.get_layout()
    if layout == h5py.h5d.CHUNKED and dataset.chunks is not None:
        declared = math.prod(math.ceil(s / c) for s, c in zip(shape, dataset.chunks, strict=True))
        stored = int(dataset.id.get_num_chunks())
        if stored < declared:
            raise DataFormatError(
                f"{where} declares shape {shape} but stores only {stored:,} of its "
                f"{declared:,} chunks",
                "the file is truncated or forged; re-create or re-download it",
            )
    elif layout == h5py.h5d.CONTIGUOUS:
        declared_bytes = math.prod(shape) * dataset.dtype.itemsize
        stored_bytes = int(dataset.id.get_storage_size())
        file_bytes = path.stat().st_size if path.exists() else 0
        if stored_bytes < declared_bytes or stored_bytes > max(file_bytes, 0):
            raise DataFormatError(
                f"{where} declares {declared_bytes:,} bytes but the file stores "
                f"{min(stored_bytes, file_bytes):,}",
                "the file is truncated or forged; re-create or re-download it",
            )


def check_object_limits(
    n_objects: int, object_bytes: int, path: Path, limits: ReadLimits | None = None
) -> None:
    """Raise DataFormatError when the object count or one object's size passes the limits."""
    limits = limits or read_limits()
    if n_objects > limits.max_objects:
        raise DataFormatError(
            f"{path}: declares {n_objects:,} objects, more than the limit {limits.max_objects:,}",
            "split the file, or raise $ASTROBENCH_MAX_OBJECTS if this is really intended",
        )
    if object_bytes > limits.max_object_bytes:
        raise DataFormatError(
            f"{path}: one object takes {object_bytes:,} bytes, more than the limit "
            f"{limits.max_object_bytes:,}",
            "use smaller cutouts, or raise $ASTROBENCH_MAX_OBJECT_BYTES if intended",
        )


def check_rows_dataset(dataset: h5py.Dataset, path: Path, limits: ReadLimits | None = None) -> None:
    """Storage and limit checks for a dataset whose first axis is objects (images, spectra)."""
    check_declared_storage(dataset, path)
    shape = tuple(int(s) for s in dataset.shape or (0,))
    per_object = math.prod(shape[1:]) * dataset.dtype.itemsize
    check_object_limits(shape[0] if shape else 0, per_object, path, limits)


_RECREATE = "a cutout file must hold its own data; re-create it with astrobench"


@contextlib.contextmanager
def open_source_hdf5(path: Path) -> Iterator[h5py.File]:
    """Open an original (downloaded or --from) HDF5 file read-only, refusing links out.

    A file that is not HDF5 (a wrong --from with --no-verify) is a DataFormatError.
    """
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(
            f"{path}: not a readable HDF5 file",
            "pass the original file; without --no-verify its checksum is checked first",
        ) from exc
    with h5:
        refuse_links_out(h5, path)
        yield h5


def checked_rows(dataset: h5py.Dataset, path: Path) -> h5py.Dataset:
    """`dataset` after the storage and limit checks of a per-object dataset."""
    if not isinstance(dataset, h5py.Dataset):
        raise DataFormatError(f"{path}: {getattr(dataset, 'name', dataset)} is not a dataset")
    check_rows_dataset(dataset, path)
    return dataset
