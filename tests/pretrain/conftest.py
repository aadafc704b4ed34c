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


SPECTRUM_PIXELS = 200
WAVELENGTH = np.linspace(4000.0, 8000.0, SPECTRUM_PIXELS).astype(np.float32)


def write_pair_cutouts(
    path: Path, n: int, seed: int = 0, *, ivar: bool = True, nan_object: int | None = None
) -> Path:
    """`n` g,r,z blob cutouts with spectra: one emission line whose place follows the redshift,
    which also sets the blob's size and colour (so images and spectra share information)."""
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(seed)
    z = rng.uniform(0.05, 0.5, n)
    size = 16
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    sigma = (3.0 - 4.0 * z)[:, None, None]
    blob = np.exp(-(xx**2 + yy**2) / (2 * sigma**2))  # [n, H, W]
    colour = np.stack([1 - z, np.ones(n), 1 + z], axis=1)[:, :, None, None]  # [n, 3, 1, 1]
    images = colour * blob[:, None] + rng.normal(0, 0.05, (n, 3, size, size))
    line = 5007.0 * (1 + z)  # [n]
    spectra = 5.0 + 2.0 * (WAVELENGTH[None, :] / 6000.0) * (1 - z[:, None])
    spectra = spectra + 20.0 * np.exp(-0.5 * ((WAVELENGTH[None, :] - line[:, None]) / 30.0) ** 2)
    spectra = spectra + rng.normal(0, 0.3, spectra.shape)
    if nan_object is not None:
        spectra[nan_object, 10] = np.nan
    catalog = {
        "object_id": np.arange(n),
        "label": (z > 0.25).astype(np.int64),
        "redshift": z.astype(np.float32),
    }
    return write_cutouts(
        path,
        images.astype(np.float32),
        catalog,
        bands=["g", "r", "z"],
        pixel_scale_arcsec=0.262,
        spectra=spectra.astype(np.float32),
        spectra_ivar=np.full(spectra.shape, 1 / 0.09, np.float32) if ivar else None,
        wavelength_angstrom=WAVELENGTH,
    )


@pytest.fixture(scope="session")
def pair_writer() -> Callable[..., Path]:
    """`write_pair_cutouts`, for fixtures of any scope."""
    return write_pair_cutouts
