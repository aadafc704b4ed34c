"""Catalog magnitudes as model inputs (AstroMAE's magnitude block, seed 001 §II-E c).

`read_magnitudes` reads the `mag_<band>` columns a model takes for the objects it uses, and
refuses what cannot be a measured magnitude: a missing column, NaN or infinity, and the
sentinels catalogs write for "not measured" (SDSS and most pipelines use -99 or 99, some
-9999; no real apparent magnitude is beyond +-90, so |m| >= 90 counts as a sentinel).
`ImageMagnitudeDataset` yields image + magnitudes (+ targets) samples for training.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset, Transform
from astrobench.errors import ConfigError, DataError, MissingColumnError

SENTINEL_ABS_MAG = 90.0
AUTO = "auto"


def magnitude_columns(text: str | Sequence[str], cutouts: CutoutFile) -> list[str]:
    """`"mag_u,mag_g"` (or a list) -> column names; `"auto"` -> `mag_<band>` of every band of the
    file, in band order."""
    if isinstance(text, str) and text.strip() == AUTO:
        return [f"mag_{band}" for band in cutouts.bands]
    items = text.split(",") if isinstance(text, str) else list(text)
    columns = [c.strip() for c in items if c.strip()]
    if not columns:
        raise ConfigError("no magnitude columns given", "e.g. --magnitudes mag_u,mag_g,mag_r")
    if len(set(columns)) != len(columns):
        raise ConfigError(f"magnitude columns repeat: {','.join(columns)}", "name each once")
    return columns


def read_magnitudes(
    cutouts: CutoutFile, columns: Sequence[str], indices: np.ndarray | None = None
) -> np.ndarray:
    """Magnitudes [n, M] (float32) of objects `indices` (all when None), checked.

    Raises:
        MissingColumnError: a column is absent (the message lists the file's magnitude columns).
        DataError: a value is NaN, infinite or a sentinel (|m| >= 90), naming the column, how
            many values and the first object.
    """
    rows = np.arange(len(cutouts)) if indices is None else np.asarray(indices, dtype=np.int64)
    present = [c for c in cutouts.columns if c.startswith("mag_")]
    values = []
    for name in columns:
        if not cutouts.has_column(name):
            raise MissingColumnError(
                f"{cutouts.path}: no magnitude column {name!r}",
                f"the file's magnitude columns: {', '.join(present) or 'none'}",
            )
        column = np.asarray(cutouts.column(name)[rows], dtype=np.float64)
        _check_values(cutouts, name, column, rows)
        values.append(column)
    return np.stack(values, axis=1).astype(np.float32)  # [n, M]


def _check_values(cutouts: CutoutFile, name: str, column: np.ndarray, rows: np.ndarray) -> None:
    bad = ~np.isfinite(column) | (np.abs(column) >= SENTINEL_ABS_MAG)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    raise DataError(
        f"{cutouts.path}: {name} holds {int(bad.sum())} NaN or sentinel value(s) among the "
        f"{rows.size} objects used (first: object {int(rows[first])}, value {column[first]:g})",
        f"drop or fill those objects, or leave {name} out of the magnitude columns",
    )


def magnitude_stats(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-column mean and std of magnitudes [n, M] (a constant column gets std 1)."""
    values = np.asarray(values, dtype=np.float64)
    std = values.std(axis=0)
    return values.mean(axis=0).tolist(), np.where(std > 0, std, 1.0).tolist()


class ImageMagnitudeDataset(Dataset[dict[str, Any]]):
    """CutoutDataset samples plus `"magnitudes"`: float32 [M] of the object's magnitude columns.

    The magnitudes of every object used are read and checked once, when the dataset is built.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        indices: Sequence[int] | np.ndarray,
        magnitudes: Sequence[str],
        transform: Transform | None = None,
        targets: Sequence[str] = (),
    ) -> None:
        self.images = CutoutDataset(path, indices, transform=transform, targets=targets)
        with CutoutFile(path) as cutouts:
            self.columns = list(magnitudes)
            self.values = torch.from_numpy(
                read_magnitudes(cutouts, self.columns, self.images.indices)
            )  # [n, M]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, position: int) -> dict[str, Any]:
        sample = self.images[position]
        sample["magnitudes"] = self.values[position]  # [M]
        return sample
