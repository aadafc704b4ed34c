"""What a named public dataset is: its files, its facts, and how it becomes a cutout file.

A dataset is a small class with class attributes (name, resources, bands, pixel scale, licence,
citation, label names) and one method, `convert(raw_paths, out_path)`, that streams the original
files into a `CutoutWriter`. Register it with `@register_dataset("<name>")` in its own module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_writer import CutoutWriter
from astrobench.data.download import ChecksumKind


@dataclass(frozen=True)
class Resource:
    """One original file: where it lives, what it is called, and its published checksum.

    Attributes:
        url: Download address.
        filename: Name of the file once downloaded (and the name looked up under `--from DIR`).
        checksum_kind: "sha256" or "md5"; None when no checksum is published.
        checksum: Expected hex digest of the file as downloaded; None when unpublished.
        url_env: Environment variable that overrides `url` (for unverified addresses).
        url_verified: False when the address comes from memory or a guess, not from source code.
    """

    url: str
    filename: str
    checksum_kind: ChecksumKind | None = None
    checksum: str | None = None
    url_env: str | None = None
    url_verified: bool = True

    def resolved_url(self) -> str:
        """The URL to use: the environment override when set, else the built-in one."""
        if self.url_env and os.environ.get(self.url_env, "").strip():
            return os.environ[self.url_env].strip()
        return self.url


class PublicDataset:
    """Base class of the named datasets; subclasses set the class attributes and `convert`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    resources: ClassVar[tuple[Resource, ...]] = ()
    bands: ClassVar[tuple[str, ...]] = ()
    pixel_scale_arcsec: ClassVar[float] = float("nan")
    survey: ClassVar[str] = ""
    license: ClassVar[str] = "unknown"
    citation: ClassVar[str] = ""
    homepage: ClassVar[str] = ""
    label_names: ClassVar[tuple[str, ...] | None] = None
    image_unit: ClassVar[str] = "fraction of 8-bit full scale (value / 255)"
    # None: keep the distributed image size; an int: resize to this many pixels on a side.
    default_image_size_px: ClassVar[int | None] = None
    # Facts that could not be checked against a source; stored in the file's attributes.
    unverified: ClassVar[tuple[str, ...]] = ()

    def __init__(self, image_size_px: int | None = None, progress: bool = True) -> None:
        self.image_size_px = image_size_px or self.default_image_size_px
        self.progress = progress

    def converted_filename(self) -> str:
        """Name of the converted cutout file (the size is part of it when resizing)."""
        size = f"_{self.image_size_px}px" if self.image_size_px else ""
        return f"{self.name}{size}.h5"

    def convert(self, raw_paths: Mapping[str, Path], out_path: Path) -> Path:
        """Convert the original files (by resource filename) into the cutout file `out_path`."""
        raise NotImplementedError

    def writer(self, out_path: Path, image_size: tuple[int, int], **kwargs: Any) -> CutoutWriter:
        """A CutoutWriter carrying this dataset's bands, scale, licence and citation."""
        attrs = {
            "citation": self.citation,
            "dataset": self.name,
            "homepage": self.homepage,
            "unverified": "; ".join(self.unverified),
            **kwargs.pop("attrs", {}),
        }
        return CutoutWriter(
            out_path,
            bands=list(self.bands),
            image_size=image_size,
            pixel_scale_arcsec=kwargs.pop("pixel_scale_arcsec", self.pixel_scale_arcsec),
            survey=self.survey,
            source=", ".join(r.resolved_url() for r in self.resources),
            license=self.license,
            image_unit=self.image_unit,
            label_names=list(self.label_names) if self.label_names else None,
            attrs=attrs,
            **kwargs,
        )


def row_chunks(n_rows: int, chunk_rows: int) -> Iterator[tuple[int, int]]:
    """(start, stop) pairs covering range(n_rows) in blocks of `chunk_rows`."""
    for start in range(0, n_rows, chunk_rows):
        yield start, min(start + chunk_rows, n_rows)


def uint8_nhwc_to_nchw(images: np.ndarray) -> np.ndarray:
    """8-bit colour images [n, H, W, C] -> float32 [n, C, H, W] scaled to 0..1."""
    return np.ascontiguousarray(np.asarray(images).transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def resize_nchw(images: np.ndarray, size_px: int | None) -> np.ndarray:
    """Area-average / bilinear resize of [n, C, H, W] to [n, C, size, size] (no-op when equal)."""
    if size_px is None or images.shape[-2:] == (size_px, size_px):
        return images
    import torch
    import torch.nn.functional as F

    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    mode = "area" if size_px < images.shape[-1] else "bilinear"
    resized = F.interpolate(tensor, size=(size_px, size_px), mode=mode)  # [n, C, size, size]
    return resized.numpy()


def split_with_validation(
    is_test: np.ndarray, strata: np.ndarray | None, val_fraction: float = 0.1, seed: int = 0
) -> np.ndarray:
    """`split` codes: test rows stay test; a seeded, stratified `val_fraction` of the rest is val.

    Deterministic: the same inputs always give the same validation set. A stratum with at
    least two training members gives at least one of them to validation.
    """
    is_test = np.asarray(is_test, dtype=bool)
    split = np.where(is_test, fmt.SPLIT_CODES["test"], fmt.SPLIT_CODES["train"]).astype(np.int8)
    train_rows = np.flatnonzero(~is_test)
    groups = np.zeros(len(is_test), np.int64) if strata is None else np.asarray(strata)
    rng = np.random.default_rng(seed)
    for value in np.unique(groups[train_rows]):
        members = rng.permutation(train_rows[groups[train_rows] == value])
        n_val = round(val_fraction * len(members))
        if n_val == 0 and val_fraction > 0 and len(members) >= 2:
            n_val = 1  # every class with two or more members is seen in validation
        split[members[:n_val]] = fmt.SPLIT_CODES["val"]
    return split
