"""Shared parts of `astrobench data import`: catalogs, labels, split codes and NaN pixels.

A user's catalog (CSV or Parquet) becomes the cutout file's /catalog: every column is copied;
`--label-column` becomes the reserved int64 `label` (strings are mapped to class codes); a
`split` column of train/val/test strings becomes int8 codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from astrobench.data import cutout_format as fmt
from astrobench.errors import (
    ConfigError,
    DataFormatError,
    MissingColumnError,
    NonFiniteDataError,
)

NanPolicy = Literal["error", "mask"]


@dataclass
class ImportReport:
    """What an import wrote."""

    path: Path
    n_objects: int
    bands: list[str]
    image_shape: tuple[int, int, int]
    n_masked_pixels: int = 0
    n_masked_objects: int = 0
    label_names: list[str] | None = field(default=None)

    def summary(self) -> str:
        c, h, w = self.image_shape
        masked = (
            f"; {self.n_masked_pixels} NaN/inf pixels in {self.n_masked_objects} objects set to 0"
            if self.n_masked_pixels
            else ""
        )
        return (
            f"wrote {self.path}: {self.n_objects} objects, bands {','.join(self.bands)}, "
            f"{c}x{h}x{w} px{masked}"
        )


def read_catalog(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV or Parquet catalog as a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such catalog file", "give a .csv or .parquet catalog")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"{path}: cannot read the catalog ({exc})") from exc
    raise DataFormatError(f"{path}: catalog must be .csv or .parquet, not {suffix!r}")


def require_column(catalog: pd.DataFrame, name: str, where: str) -> None:
    """MissingColumnError naming the column and the ones that exist."""
    if name not in catalog.columns:
        raise MissingColumnError(
            f"{where}: no column {name!r}",
            f"available columns: {', '.join(map(str, catalog.columns))}",
        )


def encode_labels(
    values: pd.Series, label_names: Sequence[str] | None
) -> tuple[np.ndarray, list[str] | None]:
    """int64 class codes (-1 = no label) and the class names.

    Integer columns are taken as codes (named by `label_names` if given). String columns map to
    the position of each value in `label_names`, or in the sorted distinct values.
    """
    missing = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        present = numbers[~missing]
        if present.size and not np.all(present == np.round(present)):
            raise DataFormatError(
                "the label column holds non-integer numbers",
                "give integer class codes or class names; use a regression target instead",
            )
        codes = np.where(missing, fmt.NO_LABEL, np.nan_to_num(numbers)).astype(np.int64)
        if codes.min(initial=0) < fmt.NO_LABEL:
            raise DataFormatError(
                f"label code {int(codes.min())} is negative",
                "class codes are 0, 1, 2, ...; leave a label empty (or -1) for no label",
            )
        names = list(label_names) if label_names else None
        if names is not None and codes.max(initial=-1) >= len(names):
            raise ConfigError(
                f"label code {int(codes.max())} has no name among {len(names)} --label-names"
            )
        return codes, names
    text = values.astype(str).str.strip().to_numpy()
    names = list(label_names) if label_names else sorted(set(text[~missing].tolist()))
    lookup = {name: code for code, name in enumerate(names)}
    unknown = sorted({t for t, m in zip(text, missing, strict=True) if not m and t not in lookup})
    if unknown:
        raise ConfigError(
            f"label value(s) {', '.join(unknown[:5])} are not in --label-names",
            f"--label-names lists {', '.join(names)}",
        )
    codes = np.array([fmt.NO_LABEL if m else lookup[t] for t, m in zip(text, missing, strict=True)])
    return codes.astype(np.int64), names


def encode_split(values: pd.Series) -> np.ndarray:
    """int8 split codes from train/val/test strings or 0/1/2."""
    if pd.api.types.is_numeric_dtype(values):
        codes = values.to_numpy()
    else:
        text = values.astype(str).str.strip().str.lower().replace({"validation": "val"})
        codes = text.map(fmt.SPLIT_CODES).to_numpy()
    valid = set(fmt.SPLIT_CODES.values())
    if pd.isna(codes).any() or not set(np.asarray(codes).tolist()) <= valid:
        raise DataFormatError(
            "the split column holds values other than train/val/test (or 0/1/2)",
            "fix the split column, or rename it so the split is drawn from a seed",
        )
    return np.asarray(codes).astype(np.int8)


def catalog_columns(
    catalog: pd.DataFrame,
    *,
    label_column: str | None,
    label_names: Sequence[str] | None,
) -> tuple[dict[str, np.ndarray], list[str] | None]:
    """Catalog columns ready for the cutout writer, and the label names."""
    columns: dict[str, np.ndarray] = {}
    for name in catalog.columns:
        key = str(name)
        if "/" in key or not key:
            raise DataFormatError(f"catalog column name {key!r} is not allowed", "rename it")
        columns[key] = _plain_column(catalog[name])
    names: list[str] | None = None
    if label_column is not None:
        require_column(catalog, label_column, "catalog")
        columns[fmt.LABEL], names = encode_labels(catalog[label_column], label_names)
    elif fmt.LABEL in catalog.columns:
        columns[fmt.LABEL], names = encode_labels(catalog[fmt.LABEL], label_names)
    elif label_names:
        raise ConfigError("--label-names given without --label-column or a 'label' column")
    if fmt.SPLIT in catalog.columns:
        columns[fmt.SPLIT] = encode_split(catalog[fmt.SPLIT])
    return columns, names


def _plain_column(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.int8)
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return values.fillna("").astype(str).to_numpy(dtype=object)


def slice_columns(columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The catalog rows `rows` of every column."""
    return {name: values[rows] for name, values in columns.items()}


class PixelCleaner:
    """Apply the NaN policy to blocks of images and count what was masked."""

    def __init__(self, policy: NanPolicy) -> None:
        if policy not in ("error", "mask"):
            raise ConfigError(f"--nan-policy must be 'error' or 'mask', got {policy!r}")
        self.policy = policy
        self.n_masked_pixels = 0
        self.n_masked_objects = 0

    def clean(self, images: np.ndarray, names: Sequence[Any]) -> np.ndarray:
        """images [n, C, H, W] float32; `names` says which object each is (for the message)."""
        finite = np.isfinite(images)
        if finite.all():
            return images
        bad_objects = ~finite.reshape(len(images), -1).all(axis=1)
        if self.policy == "error":
            first = int(np.flatnonzero(bad_objects)[0])
            raise NonFiniteDataError(
                f"{names[first]} has {int((~finite[first]).sum())} NaN or infinite pixels",
                "use --nan-policy mask to replace them with 0 and count them",
            )
        self.n_masked_pixels += int((~finite).sum())
        self.n_masked_objects += int(bad_objects.sum())
        return np.where(finite, images, np.float32(0.0))


def parse_names(text: str | None) -> list[str] | None:
    """'g,r, z' -> ['g', 'r', 'z']; None or '' -> None."""
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def block_rows(n: int, progress: bool, what: str, block_objects: int = 256) -> Iterator[np.ndarray]:
    """Row indices 0..n-1 in blocks, with a progress bar on a terminal when `progress`."""
    from rich.progress import track

    blocks = [np.arange(s, min(s + block_objects, n)) for s in range(0, n, block_objects)]
    yield from track(blocks, description=what, disable=not (progress and sys.stdout.isatty()))
