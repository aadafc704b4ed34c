"""Full validation of a cutout file: structure, every chunk's checksum, finite pixels, columns."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from astrobench.data.cutout_file import CutoutFile, NanPolicy

_SCAN_BLOCK = 256
_SCAN_BLOCK_BYTES = 64 << 20  # memory of one block of images (and spectra)


@dataclass(frozen=True)
class ValidationReport:
    """What a full scan found."""

    path: Path
    n_objects: int
    bands: list[str]
    n_nonfinite_pixels: int
    n_objects_with_nonfinite: int

    def summary(self) -> str:
        masked = (
            f"; {self.n_nonfinite_pixels} non-finite pixels in {self.n_objects_with_nonfinite} "
            "objects (replaced by 0 when read)"
            if self.n_nonfinite_pixels
            else ""
        )
        bands = ",".join(self.bands)
        return f"ok: {self.path} holds {self.n_objects} valid cutouts in bands {bands}{masked}"


def scan_block_objects(cutouts: CutoutFile) -> int:
    """Objects per block of a sequential scan: at most 256, and at most 64 MiB of pixels."""
    c, h, w = cutouts.image_shape
    per_object = 4 * c * h * w + 4 * cutouts.spectrum_length
    return max(1, min(_SCAN_BLOCK, _SCAN_BLOCK_BYTES // max(per_object, 1)))


def validate_cutout_file(
    path: str | os.PathLike[str],
    nan_policy: NanPolicy = "error",
    required_columns: Sequence[str] = (),
) -> ValidationReport:
    """Read every object and spectrum once; raise the typed error of the first problem found."""
    with CutoutFile(path, nan_policy=nan_policy) as cutouts:
        cutouts.require_columns(required_columns)
        cutouts.require_columns(cutouts.columns)  # decodes text, checks label values
        block = scan_block_objects(cutouts)
        for start in range(0, len(cutouts), block):
            stop = min(start + block, len(cutouts))
            cutouts.read_slice(start, stop)
            if cutouts.has_spectra:
                cutouts.read_spectra_slice(start, stop)
        return ValidationReport(
            path=Path(path),
            n_objects=len(cutouts),
            bands=cutouts.bands,
            n_nonfinite_pixels=cutouts.n_masked_pixels,
            n_objects_with_nonfinite=cutouts.n_masked_objects,
        )
