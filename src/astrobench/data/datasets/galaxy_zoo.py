"""Shared conversion of the Galaxy Zoo catalogs + jpg archives of `galaxy-datasets` (GZ2, GZD-5).

Original layout: `<prefix>_train_catalog.parquet`, `<prefix>_test_catalog.parquet` (the canonical
80/20 split) and a `.tar.gz` holding `images/<subfolder>/<filename>.jpg`. Every numeric and text
catalog column is kept (vote counts `<question><suffix>_<answer>`, `<question><suffix>_total-votes`
and the fractions `..._fraction`; fractions missing from the catalog are computed from the
counts). Rows whose jpg is absent from the archive are skipped and counted in the attributes.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from astrobench.data.archive import extract_archive
from astrobench.data.datasets.base import PublicDataset, row_chunks, split_with_validation
from astrobench.data.download import progress_bar
from astrobench.data.votes.schema import VoteSchema
from astrobench.errors import DataFormatError, MissingColumnError

_CHUNK_ROWS = 256
# Absolute paths on the maintainers' machine: meaningless elsewhere.
_DROPPED_COLUMNS = ("file_loc",)


class GalaxyZooJpgDataset(PublicDataset):
    """Base of GZ2 and GZD-5: subclasses set resources (train, test, images) and `vote_schema`,
    the decision tree (data/votes) whose questions, answers and column suffix they convert."""

    vote_schema: ClassVar[VoteSchema | None] = None
    # The source column holding class labels (-1 = none), or None when there is none.
    label_column: ClassVar[str | None] = None
    default_image_size_px = 128
    native_image_size_px: ClassVar[int] = 424
    val_fraction: ClassVar[float] = 0.1
    split_seed: ClassVar[int] = 0

    def convert(self, raw_paths: Mapping[str, Path], out_path: Path) -> Path:
        """Read both catalogs, unpack the jpgs into a temporary folder, stream them out."""
        train_name, test_name, images_name = (r.filename for r in self.resources)
        catalog = self._catalog(raw_paths[train_name], raw_paths[test_name])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".images-", dir=out_path.parent) as folder:
            unpacked = extract_archive(raw_paths[images_name], Path(folder) / "archive")
            jpgs = _index_jpgs(unpacked)
            found = catalog["filename"].map(jpgs)
            n_missing = int(found.isna().sum())
            if n_missing == len(catalog):
                raise DataFormatError(
                    f"{raw_paths[images_name]}: none of the catalog's {len(catalog)} jpgs is in it",
                    "the archive does not belong to these catalogs; download it again",
                )
            if n_missing:
                print(
                    f"warning: {n_missing} catalog rows have no jpg and are skipped",
                    file=sys.stderr,
                )
            keep = found.notna().to_numpy()
            self._write(
                catalog[keep].reset_index(drop=True), found[keep].tolist(), out_path, n_missing
            )
        return out_path

    def _catalog(self, train_path: Path, test_path: Path) -> pd.DataFrame:
        parts = [pd.read_parquet(train_path), pd.read_parquet(test_path)]
        for part, path in zip(parts, (train_path, test_path), strict=True):
            if "filename" not in part.columns:
                raise MissingColumnError(
                    f"{path}: the catalog has no `filename` column", "download the original catalog"
                )
        catalog = pd.concat(parts, ignore_index=True)
        is_test = np.repeat([False, True], [len(parts[0]), len(parts[1])])
        strata = None
        if self.label_column and self.label_column in catalog.columns:
            strata = catalog[self.label_column].to_numpy(dtype=np.int64)
        catalog["split"] = split_with_validation(
            is_test, strata, self.val_fraction, self.split_seed
        )
        return self._add_fractions(catalog)

    def _add_fractions(self, catalog: pd.DataFrame) -> pd.DataFrame:
        added: dict[str, np.ndarray] = {}
        schema = self.vote_schema
        if schema is None:
            return catalog
        for question in schema.questions:
            answers, stem = question.answers, f"{question.name}{schema.suffix}"
            counts = [f"{stem}_{a}" for a in answers if f"{stem}_{a}" in catalog.columns]
            if not counts:
                continue
            total_name = f"{stem}_total-votes"
            total = (
                catalog[total_name].to_numpy(np.float64)
                if total_name in catalog.columns
                else catalog[counts].to_numpy(np.float64).sum(axis=1)
            )
            if total_name not in catalog.columns:
                added[total_name] = total
            with np.errstate(invalid="ignore", divide="ignore"):
                for name in counts:
                    if f"{name}_fraction" not in catalog.columns:
                        added[f"{name}_fraction"] = catalog[name].to_numpy(np.float64) / total
        return pd.concat([catalog, pd.DataFrame(added)], axis=1) if added else catalog

    def _write(
        self, catalog: pd.DataFrame, jpg_paths: list[str], out_path: Path, n_missing: int
    ) -> None:
        columns = self._column_arrays(catalog)
        size = self.image_size_px or self.native_image_size_px
        scale = self.pixel_scale_arcsec * self.native_image_size_px / size
        attrs: dict[str, object] = {"n_missing_images": n_missing}
        if self.vote_schema is not None:  # which decision tree the vote columns follow
            attrs["vote_schema"] = self.vote_schema.name
        decode = functools.partial(_read_jpg, size_px=size)
        # PIL releases the GIL while decoding, so a few threads decode jpgs in parallel.
        with (
            self.writer(
                out_path,
                (size, size),
                pixel_scale_arcsec=scale,
                attrs=attrs,
                expected_objects=len(catalog),
            ) as writer,
            progress_bar(len(catalog), f"converting {self.name}", enabled=self.progress) as done,
            ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool,
        ):
            for start, stop in row_chunks(len(catalog), _CHUNK_ROWS):
                images = np.stack(list(pool.map(decode, jpg_paths[start:stop])))  # [b, 3, S, S]
                rows = {name: values[start:stop] for name, values in columns.items()}
                writer.append(images, rows)
                done(stop - start)

    def _column_arrays(self, catalog: pd.DataFrame) -> dict[str, np.ndarray]:
        columns: dict[str, np.ndarray] = {"object_id": np.arange(len(catalog), dtype=np.int64)}
        for name in catalog.columns:
            if name in _DROPPED_COLUMNS:
                continue
            target = str(name)
            if target == "label" and self.label_column != "label":
                target = "label_source"
            if self.label_column == name:
                target = "label"
            columns[target] = _as_array(catalog[name])
        return columns


def _as_array(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.fillna(False).to_numpy(dtype=np.int8)
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.fillna("").astype(str).to_numpy(dtype=object)


def _index_jpgs(folder: Path) -> dict[str, str]:
    """basename -> path of every jpg under `folder` (the archive's own subfolders vary)."""
    return {
        name: os.path.join(parent, name)
        for parent, _, files in os.walk(folder)
        for name in files
        if name.lower().endswith((".jpg", ".jpeg", ".png"))
    }


def _read_jpg(path: str, size_px: int) -> np.ndarray:
    """One jpg -> float32 [3, size, size] in 0..1 (Lanczos resize when needed)."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        if rgb.size != (size_px, size_px):
            rgb = rgb.resize((size_px, size_px), Image.Resampling.LANCZOS)
        return np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0
