"""Spectra of a cutout file as a torch Dataset, with the checks a spectrum model needs first.

`require_spectra` refuses a file without /spectra and /wavelength; `check_finite_spectra` scans
the spectra of the objects a run will use, in blocks, and names the first object with a NaN or
infinite flux, before any training starts (so a run never dies half-way, half-written).
Inverse variances (/spectra_ivar) travel with each sample when the file has them.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.process_local import IndexedCutoutDataset
from astrobench.errors import DataFormatError, NonFiniteDataError

SCAN_BLOCK_OBJECTS = 512


def require_spectra(cutouts: CutoutFile) -> np.ndarray:
    """The wavelength grid [L] (Å) of a file that has spectra; DataFormatError otherwise."""
    grid = cutouts.wavelength_angstrom
    if not cutouts.has_spectra or grid is None:
        raise DataFormatError(
            f"{cutouts.path} has no spectra (/spectra and /wavelength)",
            "use a file with spectra, e.g. `astrobench data synth --preset desi-ls` or the "
            "astroclip-pairs dataset",
        )
    return np.asarray(grid)


def check_finite_spectra(path: str | os.PathLike[str], indices: np.ndarray) -> None:
    """Raise NonFiniteDataError naming the first of `indices` whose flux is not finite."""
    order = np.sort(np.asarray(indices, dtype=np.int64))
    with CutoutFile(path) as cutouts:
        for start in range(0, order.size, SCAN_BLOCK_OBJECTS):
            rows = order[start : start + SCAN_BLOCK_OBJECTS]
            finite = np.isfinite(cutouts.read_spectrum_rows(rows)).all(axis=1)  # [len(rows)]
            if not finite.all():
                bad = int(rows[np.flatnonzero(~finite)[0]])
                raise NonFiniteDataError(
                    f"{cutouts.path}: object {bad} has NaN or infinite spectrum fluxes",
                    "repair or drop those spectra (set their /spectra_ivar to 0 and the flux to "
                    "0) before training",
                )


def read_spectra(
    path: str | os.PathLike[str], indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """(flux [n, L], ivar [n, L] or None) of `indices`, in the order given."""
    order = np.asarray(indices, dtype=np.int64)
    unique, back = np.unique(order, return_inverse=True)
    ivar = None
    with CutoutFile(path) as cutouts:
        blocks = range(0, unique.size, SCAN_BLOCK_OBJECTS)
        rows = [unique[s : s + SCAN_BLOCK_OBJECTS] for s in blocks]
        flux = np.concatenate([cutouts.read_spectrum_rows(r) for r in rows])  # [u, L]
        if cutouts.has_spectra_ivar:
            ivar = np.concatenate([cutouts.read_spectrum_rows(r, ivar=True) for r in rows])
    return flux[back], None if ivar is None else ivar[back]


class SpectrumDataset(IndexedCutoutDataset[dict[str, Any]]):
    """Objects `indices` as {"spectrum": [L], "spectrum_ivar": [L] (if present), "index"}."""

    def __init__(self, path: str | os.PathLike[str], indices: np.ndarray) -> None:
        super().__init__(path, indices)
        with CutoutFile(self.path) as cutouts:
            require_spectra(cutouts)
            self.with_ivar = cutouts.has_spectra_ivar

    def __getitem__(self, position: int) -> dict[str, Any]:
        index = int(self.indices[position])
        cutouts = self._cutouts()
        row = np.array([index])
        sample: dict[str, Any] = {
            "spectrum": torch.from_numpy(cutouts.read_spectrum_rows(row)[0]),  # [L]
            "index": index,
        }
        if self.with_ivar:
            sample["spectrum_ivar"] = torch.from_numpy(cutouts.read_spectrum_rows(row, True)[0])
        return sample
