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


def test_scan_blocks_hold_at_most_256_objects_and_64_mib() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from astrobench.data.validate import scan_block_objects

    def block(shape: tuple[int, int, int], spectrum_length: int = 0) -> int:
        fake: Any = SimpleNamespace(image_shape=shape, spectrum_length=spectrum_length)
        return scan_block_objects(cast(Any, fake))

    assert block((5, 64, 64)) == 256  # 80 KiB an object
    assert block((3, 1000, 1000)) == (64 << 20) // 12_000_000 == 5  # 12 MB an object
    # 4 MiB of pixels + 4 MB of spectrum an object
    assert block((1, 1024, 1024), 1_000_000) == (64 << 20) // 8_194_304 == 8
    assert block((1, 2048, 8192)) == 1  # 64 MiB: one object a block
    assert block((1, 8192, 8192)) == 1  # larger than a block: still one
    assert isinstance(block((3, 1000, 1000)), int)


def test_the_summary_counts_boxes_only_in_files_with_boxes() -> None:
    from astrobench.data.validate import ValidationReport

    plain = ValidationReport(Path("f.h5"), 3, ["g", "r"], 0, 0)
    assert plain.summary() == "ok: f.h5 holds 3 valid cutouts in bands g,r"
    boxed = ValidationReport(Path("f.h5"), 3, ["r"], 2, 1, n_boxes=7)
    assert boxed.summary() == (
        "ok: f.h5 holds 3 valid cutouts with 7 valid boxes in bands r; 2 non-finite pixels in "
        "1 objects (replaced by 0 when read)"
    )
    assert "0 valid boxes" in ValidationReport(Path("f.h5"), 3, ["r"], 0, 0, n_boxes=0).summary()
