"""A torch Dataset over a cutout file: sample dicts of tensors, through optional transforms.

The HDF5 handle is opened lazily in each process (never shared across a fork), so the dataset
works with DataLoader worker processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile, NanPolicy
from astrobench.data.process_local import IndexedCutoutDataset

Sample = dict[str, Any]
Transform = Callable[[Sample], Sample]


class CutoutDataset(IndexedCutoutDataset[Sample]):
    """Objects `indices` of a cutout file as {"image": [C, H, W] float32, "index", targets...}.

    `targets` are catalog columns copied into each sample as tensors (e.g. "label", "redshift").
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        indices: Sequence[int] | np.ndarray | None = None,
        transform: Transform | None = None,
        targets: Sequence[str] = (),
        nan_policy: NanPolicy = "error",
        with_spectra: bool = False,
    ) -> None:
        self.nan_policy = nan_policy
        with CutoutFile(path, nan_policy=nan_policy) as cutouts:
            self.bands = cutouts.bands
            self.image_shape = cutouts.image_shape
            n = len(cutouts)
            # Catalog targets are small: read them once here, not per sample.
            self._targets = {name: cutouts.column(name) for name in targets}
            self.with_spectra = with_spectra and cutouts.has_spectra
        super().__init__(path, np.arange(n) if indices is None else np.asarray(indices), nan_policy)
        self.transform = transform

    def __getitem__(self, position: int) -> Sample:
        index = int(self.indices[position])
        cutouts = self._cutouts()
        sample: Sample = {
            "image": torch.from_numpy(cutouts.read_image(index)),  # [C, H, W]
            "index": index,
        }
        for name, column in self._targets.items():
            sample[name] = torch.as_tensor(column[index])
        if self.with_spectra:
            sample["spectrum"] = torch.from_numpy(cutouts.read_spectrum(index))  # [L]
        return self.transform(sample) if self.transform is not None else sample
