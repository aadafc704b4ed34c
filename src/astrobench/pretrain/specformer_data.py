"""Pretraining data for the spectrum encoder: the train/val spectra of a cutout file, checked.

The split is the one every protocol uses (`split_indices`), so pretraining never sees a probe's
test objects. Everything that can be wrong with the file is found before training starts:
no spectra, non-finite fluxes, fewer training spectra than one batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import SpectrumDataset, check_finite_spectra, require_spectra
from astrobench.data.splits import split_indices
from astrobench.errors import InsufficientDataError
from astrobench.models.encoder_provenance import content_sha256


@dataclass
class SpectrumData:
    """Train and validation spectra plus the grid the encoder is built for."""

    train: SpectrumDataset
    val: SpectrumDataset
    wavelength_angstrom: np.ndarray
    has_ivar: bool
    data_hash: str  # sha256 of the file's bytes
    split_seed: int


def build_spectrum_data(
    path: str | os.PathLike[str], *, batch_size: int, split_seed: int = 0
) -> SpectrumData:
    """Checked train/val spectrum datasets of `path` (see the module docstring)."""
    file = Path(path)
    with CutoutFile(file) as cutouts:
        grid = require_spectra(cutouts)
        splits = split_indices(cutouts, seed=split_seed)
        n_objects = len(cutouts)
        has_ivar = cutouts.has_spectra_ivar
    train, val = splits["train"], splits["val"]
    if val.size == 0:
        val = train[: min(train.size, 8)]
    if train.size < batch_size:
        raise InsufficientDataError(
            f"{file.name} has {train.size} training spectra, fewer than one batch of {batch_size}",
            "use a smaller --batch-size or a larger data file",
        )
    # The whole file: the test objects are embedded later, by every protocol.
    check_finite_spectra(file, np.arange(n_objects))
    return SpectrumData(
        SpectrumDataset(file, train),
        SpectrumDataset(file, val),
        grid,
        has_ivar,
        content_sha256(file),
        split_seed,
    )
