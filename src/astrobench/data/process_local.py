"""A cutout file handle that each process opens for itself (h5py handles survive no fork/pickle).

Datasets read by DataLoader worker processes hold a `ProcessLocalCutouts` instead of an open
`CutoutFile`: `get()` reopens the file when called from a process other than the one that
opened it, and pickling drops the handle, so every worker opens its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from torch.utils.data import Dataset

from astrobench.data.cutout_file import CutoutFile, NanPolicy

SampleT = TypeVar("SampleT")


class ProcessLocalCutouts:
    """Lazily opened, per-process `CutoutFile` of `path`."""

    def __init__(self, path: str | os.PathLike[str], nan_policy: NanPolicy = "error") -> None:
        self.path = Path(path)
        self.nan_policy: NanPolicy = nan_policy
        self._file: CutoutFile | None = None
        self._pid = -1

    def get(self) -> CutoutFile:
        """The open file of this process (opened on first use, or after a fork)."""
        if self._file is None or self._pid != os.getpid():
            self._file = CutoutFile(self.path, nan_policy=self.nan_policy)
            self._pid = os.getpid()
        return self._file

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_file": None, "_pid": -1}


class IndexedCutoutDataset(Dataset[SampleT]):
    """Base of the datasets over objects `indices` of one cutout file: the path, the indices,
    and a per-process handle (`_cutouts()`), so DataLoader workers each read their own."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        indices: Sequence[int] | np.ndarray,
        nan_policy: NanPolicy = "error",
    ) -> None:
        self.path = Path(path)
        self.indices = np.asarray(indices, dtype=np.int64)
        self._handle = ProcessLocalCutouts(self.path, nan_policy)

    def _cutouts(self) -> CutoutFile:
        return self._handle.get()

    def __len__(self) -> int:
        return int(self.indices.size)
