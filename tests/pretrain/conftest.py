"""Tiny MAE pretraining data: 5-band 16x16 cutouts of Gaussian blobs of varying size and colour."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest


def write_blob_cutouts(path: Path, n: int, size: int = 16, seed: int = 0) -> Path:
    """`n` ugriz cutouts of one elliptical Gaussian blob each, plus noise."""
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    sigma = rng.uniform(1.0, 3.0, (n, 1, 1))
    blob = np.exp(-(xx**2 + yy**2) / (2 * sigma**2))  # [n, H, W]
    colour = rng.uniform(0.5, 2.0, (n, 5, 1, 1))
    images = (colour * blob[:, None] + rng.normal(0, 0.05, (n, 5, size, size))).astype(np.float32)
    catalog = {"object_id": np.arange(n), "label": (sigma[:, 0, 0] > 2).astype(np.int64)}
    return write_cutouts(path, images, catalog, bands=list("ugriz"), pixel_scale_arcsec=0.396)


@pytest.fixture
def blob_cutouts(tmp_path: Path) -> Path:
    """48 blob cutouts, 16x16 px, 5 bands."""
    return write_blob_cutouts(tmp_path / "blobs.h5", 48)


@pytest.fixture(scope="session")
def blob_writer() -> Callable[..., Path]:
    """`write_blob_cutouts`, for fixtures of other scopes."""
    return write_blob_cutouts


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on a shared 2-core CI machine, two spinning threads run far slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
