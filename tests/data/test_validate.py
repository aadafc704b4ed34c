"""Full validation: every chunk, every pixel, required columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import CorruptDataError, MissingColumnError, NonFiniteDataError


def test_valid_file_summary(small_cutouts: Path) -> None:
    report = validate_cutout_file(small_cutouts, required_columns=["label", "redshift"])
    assert report.n_objects == 60 and report.bands == list("ugriz")
    assert report.summary() == f"ok: {small_cutouts} holds 60 valid cutouts in bands u,g,r,i,z"


def test_corruption_anywhere_is_found(small_cutouts: Path, corrupt_image) -> None:
    corrupt_image(small_cutouts, 59)
    with pytest.raises(CorruptDataError, match="object 59"):
        validate_cutout_file(small_cutouts)


def test_required_column(small_cutouts: Path) -> None:
    with pytest.raises(MissingColumnError, match="no catalog column 'spec_class'"):
        validate_cutout_file(small_cutouts, required_columns=["label", "spec_class"])


def test_nan_policies(tmp_path: Path) -> None:
    images = np.zeros((300, 1, 4, 4), dtype=np.float32)
    images[280, 0, :2, :2] = np.nan
    path = write_cutouts(
        tmp_path / "n.h5",
        images,
        {"object_id": np.arange(300)},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        allow_nonfinite=True,
    )
    with pytest.raises(NonFiniteDataError, match="object 280"):
        validate_cutout_file(path)
    report = validate_cutout_file(path, nan_policy="mask")
    assert (report.n_nonfinite_pixels, report.n_objects_with_nonfinite) == (4, 1)
    assert "4 non-finite pixels in 1 objects" in report.summary()


def test_a_damaged_spectrum_is_found_and_named(tmp_path: Path) -> None:
    """Spectra are scanned in blocks; a checksum failure still names a spectrum's object."""
    import h5py

    n, length = 40, 50
    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((n, 1, 4, 4), dtype=np.float32),
        {"object_id": np.arange(n)},
        bands=["r"],
        pixel_scale_arcsec=0.4,
        wavelength_angstrom=np.linspace(3600, 9800, length),
        spectra=np.ones((n, length), dtype=np.float32),
    )
    with h5py.File(path, "r") as handle:
        info = handle["spectra"].id.get_chunk_info_by_coord((0, 0))
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset + info.size // 2)
        byte = raw.read(1)
        raw.seek(info.byte_offset + info.size // 2)
        raw.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptDataError, match="spectrum of object 0"):
        validate_cutout_file(path)
