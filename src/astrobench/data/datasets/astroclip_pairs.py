"""AstroCLIP image-spectrum pairs (Parker, Lanusse et al. 2024): DESI spectra x Legacy images.

Original layout: one HDF5 (`astroclip_desi.1.1.5.h5`, about 60 GB) with groups "0".."9", each
holding `images` float32 [n, 152, 152, 3] (HWC, g,r,z), `spectra` float32 [n, 7781] (or
[n, 7781, 1]), `redshifts` float32 [n] and `targetids` int64 [n]. The canonical split takes the
first 80 % of every group as train and the rest as test; astrobench carves a seeded 10 %
validation set from train. No checksum is published.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.datasets.base import PublicDataset, Resource, resize_nchw, row_chunks
from astrobench.data.download import progress_bar
from astrobench.data.storage_check import checked_rows, open_source_hdf5
from astrobench.errors import DataFormatError
from astrobench.registry import register_dataset

_CHUNK_ROWS = 256
_KEYS = ("images", "spectra", "redshifts", "targetids")
# DESI coadded spectra: 3600-9824 Angstrom in 0.8 Angstrom steps = 7781 pixels.
DESI_WAVELENGTH_ANGSTROM = 3600.0 + 0.8 * np.arange(7781)


@register_dataset("astroclip-pairs")
class AstroclipPairs(PublicDataset):
    """The AstroCLIP paired dataset: g,r,z images, DESI spectra, spectroscopic redshifts."""

    name = "astroclip-pairs"
    description = (
        "about 150k DESI EDR galaxies: 152 px g,r,z images + 7781-pixel spectra + redshift"
    )
    resources = (
        Resource(
            url="https://users.flatironinstitute.org/~flanusse/astroclip_desi.1.1.5.h5",
            filename="astroclip_desi.1.1.5.h5",
            url_env="ASTROBENCH_ASTROCLIP_URL",
        ),
    )
    bands = ("g", "r", "z")
    pixel_scale_arcsec = 0.262
    survey = "DESI EDR spectra x DESI Legacy Imaging Surveys DR9 images"
    license = "MIT (AstroCLIP code); dataset licence not stated (empty _LICENSE)"
    citation = (
        "Parker, Lanusse et al. 2024, MNRAS 531, 4990 (AstroCLIP); Stein et al. 2022 (cutouts)"
    )
    homepage = "https://github.com/PolymathicAI/AstroCLIP"
    image_unit = "as distributed (Legacy Survey flux, unverified)"
    unverified = (
        "checksum and size (none published)",
        "image unit",
        "wavelength grid (DESI coadd convention 3600 + 0.8 i Angstrom, not stored in the file)",
    )
    val_fraction = 0.1
    split_seed = 0

    def convert(self, raw_paths: Mapping[str, Path], out_path: Path) -> Path:
        """Stream every group in order; split = first 80 % train (10 % of it val), rest test."""
        path = raw_paths[self.resources[0].filename]
        with open_source_hdf5(path) as h5:
            groups = [h5[k] for k in sorted(h5.keys(), key=_group_order)]
            for group in groups:
                for key in ("images", "spectra", "redshifts", "targetids"):
                    if isinstance(group, h5py.Group) and key in group:
                        checked_rows(group[key], path)
            _check_groups(groups, path)
            height = groups[0]["images"].shape[1]
            size = self.image_size_px or height
            total = sum(len(g["redshifts"]) for g in groups)
            rng = np.random.default_rng(self.split_seed)
            with (
                self.writer(
                    out_path,
                    (size, size),
                    pixel_scale_arcsec=self.pixel_scale_arcsec * height / size,
                    wavelength_angstrom=DESI_WAVELENGTH_ANGSTROM,
                    allow_nonfinite=True,
                    expected_objects=total,
                ) as writer,
                progress_bar(total, f"converting {self.name}", enabled=self.progress) as done,
            ):
                for group in groups:
                    n = len(group["redshifts"])
                    split = _group_split(n, self.val_fraction, rng)
                    for start, stop in row_chunks(n, _CHUNK_ROWS):
                        images = _nchw(np.asarray(group["images"][start:stop], dtype=np.float32))
                        writer.append(
                            resize_nchw(images, size),
                            {
                                "object_id": np.asarray(group["targetids"][start:stop], np.int64),
                                "redshift": np.asarray(group["redshifts"][start:stop], np.float64),
                                "group": np.full(stop - start, int(group.name.strip("/"))),
                                "split": split[start:stop],
                            },
                            spectra=np.asarray(group["spectra"][start:stop], np.float32).reshape(
                                stop - start, -1
                            ),
                        )
                        done(stop - start)
        return out_path


def _group_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 30, key)


def _check_groups(groups: list[h5py.Group], path: Path) -> None:
    if not groups:
        raise DataFormatError(f"{path}: no groups", "this is not the original AstroCLIP file")
    for group in groups:
        missing = [k for k in _KEYS if k not in group]
        if missing or not group.name.strip("/").isdigit():
            raise DataFormatError(
                f"{path}: group {group.name} lacks {missing or 'a numeric name'}",
                "expected groups '0'..'9' with images, spectra, redshifts, targetids",
            )
        spectra = group["spectra"]
        if int(np.prod(spectra.shape[1:])) != DESI_WAVELENGTH_ANGSTROM.size:
            raise DataFormatError(
                f"{path}: spectra in {group.name} are {spectra.shape}, expected 7781"
            )


def _group_split(n: int, val_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """First 80 % train (a seeded `val_fraction` of it val), the rest test."""
    n_train = int(0.8 * n)
    split = np.full(n, fmt.SPLIT_CODES["test"], dtype=np.int8)
    split[:n_train] = fmt.SPLIT_CODES["train"]
    val = rng.permutation(n_train)[: round(val_fraction * n_train)]
    split[val] = fmt.SPLIT_CODES["val"]
    return split


def _nchw(images: np.ndarray) -> np.ndarray:
    """[n, H, W, 3] (as distributed) or [n, 3, H, W] -> [n, 3, H, W]."""
    return images if images.shape[1] == 3 else np.ascontiguousarray(images.transpose(0, 3, 1, 2))
