"""GalaxyMNIST (Walmsley, mwalmsley/galaxy_mnist): 10,000 GZ DECaLS colour images, 4 classes.

Original layout: two gzip-compressed HDF5 files `train_dataset.hdf5.gz` and
`test_dataset.hdf5.gz` (the md5 covers the .gz), each with `images` uint8 [N, H, W, 3] (NHWC) and
`labels` uint8 [N]. The canonical split is the files' own 80/20 split (8,000 / 2,000); astrobench
keeps it as the `split` column and carves a seeded, stratified 10 % validation set from train.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from astrobench.data.archive import extract_archive
from astrobench.data.datasets.base import (
    PublicDataset,
    Resource,
    resize_nchw,
    row_chunks,
    split_with_validation,
    uint8_nhwc_to_nchw,
)
from astrobench.data.download import progress_bar
from astrobench.data.storage_check import checked_rows, open_source_hdf5
from astrobench.errors import DataFormatError
from astrobench.registry import register_dataset

_CHUNK_ROWS = 512
_URL = "https://dl.dropboxusercontent.com/s/{key}/{name}"


@register_dataset("galaxy-mnist")
class GalaxyMnist(PublicDataset):
    """GalaxyMNIST at 64 px."""

    name = "galaxy-mnist"
    description = "10,000 GZ DECaLS colour images of 64 px in 4 classes, canonical 80/20 split"
    resources = (
        Resource(
            url=_URL.format(key="5a14de0o7slyif9", name="train_dataset.hdf5.gz"),
            filename="train_dataset.hdf5.gz",
            checksum_kind="md5",
            checksum="e408ae294e9b975482dc1abffeb373a6",
        ),
        Resource(
            url=_URL.format(key="5rza12nn24cwd2k", name="test_dataset.hdf5.gz"),
            filename="test_dataset.hdf5.gz",
            checksum_kind="md5",
            checksum="7a940e4cea64a8b7cb60339098f74490",
        ),
    )
    bands = ("g", "r", "z")
    # Nominal: 424 px GZ DECaLS jpgs (0.262"/px at least) centre-cropped to 318 px, resized to 64.
    pixel_scale_arcsec = 0.262 * 318 / 64
    survey = "DESI Legacy Imaging Surveys (Galaxy Zoo DECaLS jpgs)"
    license = "GPL-3.0 (galaxy_mnist repository); cite Galaxy Zoo DECaLS for the data"
    citation = "Walmsley et al. 2022, MNRAS 509, 3966 (Galaxy Zoo DECaLS); mwalmsley/galaxy_mnist"
    homepage = "https://github.com/mwalmsley/galaxy_mnist"
    label_names = ("smooth_round", "smooth_cigar", "edge_on_disk", "unbarred_spiral")
    unverified = (
        "pixel scale (GZ DECaLS jpgs are scaled per galaxy; the value is nominal)",
        "sizes of the .gz files",
        "channel order of the colour composite (taken as g, r, z)",
    )
    val_fraction = 0.1
    split_seed = 0

    def _write(
        self,
        train: tuple[h5py.Dataset, np.ndarray],
        test: tuple[h5py.Dataset, np.ndarray],
        out_path: Path,
    ) -> None:
        parts = [train, test]
        labels = np.concatenate([p[1] for p in parts])
        is_test = np.repeat([False, True], [len(train[1]), len(test[1])])
        split = split_with_validation(is_test, labels, self.val_fraction, self.split_seed)
        height = train[0].shape[1]
        size = self.image_size_px or height
        scale = self.pixel_scale_arcsec * height / size
        with (
            self.writer(
                out_path, (size, size), pixel_scale_arcsec=scale, expected_objects=len(labels)
            ) as writer,
            progress_bar(len(labels), f"converting {self.name}", enabled=self.progress) as done,
        ):
            offset = 0
            for images, part_labels in parts:
                for start, stop in row_chunks(len(part_labels), _CHUNK_ROWS):
                    rows = np.arange(offset + start, offset + stop)
                    block = resize_nchw(
                        uint8_nhwc_to_nchw(images[start:stop]), size
                    )  # [b, 3, S, S]
                    writer.append(
                        block, {"object_id": rows, "label": labels[rows], "split": split[rows]}
                    )
                    done(stop - start)
                offset += len(part_labels)

    def convert(self, raw_paths: Mapping[str, Path], out_path: Path) -> Path:
        """Gunzip both files, then stream train then test into one file with a `split` column."""
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".unpacked-", dir=out_path.parent) as unpacked:
            files = [
                extract_archive(
                    raw_paths[r.filename], Path(unpacked) / r.filename.removesuffix(".gz")
                )
                for r in self.resources
            ]
            with open_source_hdf5(files[0]) as train, open_source_hdf5(files[1]) as test:
                self._write(_read_part(train, files[0]), _read_part(test, files[1]), out_path)
        return out_path


@register_dataset("galaxy-mnist-224")
class GalaxyMnistHighres(GalaxyMnist):
    """GalaxyMNIST at 224 px (`GalaxyMNISTHighrez` upstream)."""

    name = "galaxy-mnist-224"
    description = "10,000 GZ DECaLS colour images of 224 px in 4 classes, canonical 80/20 split"
    resources = (
        Resource(
            url=_URL.format(key="xenuo0ekgyi10ru", name="train_dataset.hdf5.gz"),
            filename="train_dataset.hdf5.gz",
            checksum_kind="md5",
            checksum="3391dcddac14d5b4055db73fb600ae63",
        ),
        Resource(
            url=_URL.format(key="lczri4sb4bbcgyh", name="test_dataset.hdf5.gz"),
            filename="test_dataset.hdf5.gz",
            checksum_kind="md5",
            checksum="fb272c4e94000b4d99a09d638977b0b9",
        ),
    )
    pixel_scale_arcsec = 0.262 * 318 / 224


def _read_part(h5: h5py.File, path: Path) -> tuple[h5py.Dataset, np.ndarray]:
    if "images" not in h5 or "labels" not in h5:
        raise DataFormatError(
            f"{path}: expected HDF5 keys images and labels, found {sorted(h5.keys())}",
            "this is not an original GalaxyMNIST file; download it again",
        )
    images = checked_rows(h5["images"], path)
    labels = np.asarray(checked_rows(h5["labels"], path)[:]).astype(np.int64)
    if images.ndim != 4 or images.shape[3] != 3 or images.dtype != np.uint8:
        raise DataFormatError(
            f"{path}: images are {images.dtype} {images.shape}, expected uint8 NHWC"
        )
    if labels.shape != (images.shape[0],) or labels.min(initial=0) < 0 or labels.max(initial=0) > 3:
        raise DataFormatError(f"{path}: labels must be one value in 0..3 per image")
    return images, labels
