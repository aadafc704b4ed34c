"""The cutout file: write/read round trip, lazy random access, typed errors, atomic writing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import CutoutWriter, write_cutouts
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import (
    BandError,
    CorruptDataError,
    DataFormatError,
    MissingColumnError,
    NonFiniteDataError,
)


def _leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


def _nan_file(tmp_path: Path, images: np.ndarray) -> Path:
    """Images with NaN or infinite pixels, one band, written as they are."""
    return write_cutouts(
        tmp_path / "nan.h5",
        images,
        {"object_id": np.arange(len(images))},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        allow_nonfinite=True,
    )


def test_round_trip_metadata_and_pixels(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        assert len(cutouts) == 60
        assert cutouts.bands == list("ugriz")
        assert cutouts.image_shape == (5, 16, 16)
        assert cutouts.pixel_scale_arcsec == pytest.approx(0.396)
        assert cutouts.label_names == ["a", "b", "c"]
        assert "redshift" in cutouts.columns and cutouts.has_column("mag_r")
        assert cutouts.attrs["survey"] == "test"
        assert cutouts.attrs["format_version"] == 1
        batch = cutouts.read_images([7, 3, 7])
        assert batch.shape == (3, 5, 16, 16) and batch.dtype == np.float32
        np.testing.assert_array_equal(batch[0], batch[2])
        np.testing.assert_array_equal(batch[1], cutouts.read_image(3))
        np.testing.assert_array_equal(cutouts.read_slice(2, 5)[1], cutouts.read_image(3))


def test_sample_dict_holds_image_index_label_redshift(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        sample = cutouts[4]
        assert sample["index"] == 4
        assert sample["label"] == 1
        assert sample["redshift"] == pytest.approx(cutouts.column("redshift")[4])
        assert sample["image"].shape == (5, 16, 16)


def test_written_pixels_come_back_exactly(tmp_path: Path) -> None:
    images = np.random.default_rng(3).normal(size=(4, 2, 8, 8)).astype(np.float32)
    path = write_cutouts(
        tmp_path / "x.h5",
        images,
        {"object_id": ["a", "b", "c", "d"]},
        bands=["g", "r"],
        pixel_scale_arcsec=0.2,
    )
    with CutoutFile(path) as cutouts:
        np.testing.assert_array_equal(cutouts.read_images(np.arange(4)), images)
        assert list(cutouts.column("object_id")) == ["a", "b", "c", "d"]


def test_band_indices_and_unknown_band(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        assert cutouts.band_indices(["g", "r", "z"]) == [1, 2, 4]
        with pytest.raises(BandError, match=r"band\(s\) y not in the file's bands u,g,r,i,z"):
            cutouts.band_indices(["g", "y"])
        with pytest.raises(BandError, match="y, w not in") as error:
            cutouts.band_indices(["y", "g", "w"])
        assert error.value.one_line() == (
            f"{small_cutouts}: band(s) y, w not in the file's bands u,g,r,i,z "
            "(hint: choose bands from those the file has)"
        )


def test_missing_column_names_the_column(small_cutouts: Path) -> None:
    with (
        CutoutFile(small_cutouts) as cutouts,
        pytest.raises(MissingColumnError, match="'stellar_mass'"),
    ):
        cutouts.column("stellar_mass")


def test_out_of_range_index(small_cutouts: Path) -> None:
    with (
        CutoutFile(small_cutouts) as cutouts,
        pytest.raises(IndexError, match=r"object index out of range 0\.\.59"),
    ):
        cutouts.read_images([60])


def test_flipped_byte_names_the_object(small_cutouts: Path, corrupt_image) -> None:
    corrupt_image(small_cutouts, 17)
    with CutoutFile(small_cutouts) as cutouts:
        cutouts.read_image(16)  # neighbours are intact
        with pytest.raises(CorruptDataError, match="object 17 fails its checksum"):
            cutouts.read_images([3, 17])
        with pytest.raises(CorruptDataError, match="object 17"):
            cutouts.read_slice(0, 60)


def test_truncated_file_is_refused(small_cutouts: Path) -> None:
    size = small_cutouts.stat().st_size
    with open(small_cutouts, "r+b") as raw:
        raw.truncate(size // 2)
    with pytest.raises(DataFormatError, match="not a readable HDF5 file"):
        CutoutFile(small_cutouts)


def test_nan_pixels_error_or_mask(tmp_path: Path) -> None:
    images = np.ones((3, 1, 4, 4), dtype=np.float32)
    images[1, 0, 2, 2] = np.nan
    images[1, 0, 0, 0] = np.inf
    path = _nan_file(tmp_path, images)
    with CutoutFile(path) as cutouts, pytest.raises(NonFiniteDataError, match="object 1 has NaN"):
        cutouts.read_images([0, 1])
    with CutoutFile(path, nan_policy="mask") as cutouts:
        image = cutouts.read_image(1)
        assert np.isfinite(image).all() and image[0, 2, 2] == 0
        assert (cutouts.n_masked_pixels, cutouts.n_masked_objects) == (2, 1)


def test_writer_refuses_nan_by_default_and_removes_temp(tmp_path: Path) -> None:
    images = np.zeros((2, 1, 4, 4), dtype=np.float32)
    images[1, 0, 0, 0] = np.nan
    with pytest.raises(NonFiniteDataError, match="object 1"):
        write_cutouts(
            tmp_path / "x.h5", images, {"object_id": [0, 1]}, bands=["r"], pixel_scale_arcsec=1.0
        )
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_wrong_band_count(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="do not match the file's"):
        write_cutouts(
            tmp_path / "x.h5",
            np.zeros((2, 3, 4, 4)),
            {"object_id": [0, 1]},
            bands=["g", "r"],
            pixel_scale_arcsec=1.0,
        )
    assert list(tmp_path.iterdir()) == []


def test_channel_count_must_match_band_names(tmp_path: Path) -> None:
    path = write_cutouts(
        tmp_path / "x.h5",
        np.zeros((2, 2, 4, 4)),
        {"object_id": [0, 1]},
        bands=["g", "r"],
        pixel_scale_arcsec=1.0,
    )
    with h5py.File(path, "r+") as handle:
        handle.attrs["bands"] = ["g", "r", "i"]
    with pytest.raises(BandError, match="2 channels but 3 band names"):
        CutoutFile(path)


def test_wrong_format_version_is_refused(small_cutouts: Path) -> None:
    with h5py.File(small_cutouts, "r+") as handle:
        handle.attrs["format_version"] = 99
    with pytest.raises(DataFormatError, match="format_version 99"):
        CutoutFile(small_cutouts)


def test_spectra_and_boxes_round_trip(tmp_path: Path) -> None:
    wave = np.linspace(3800, 9200, 10).astype(np.float32)
    spectra = np.arange(20, dtype=np.float32).reshape(2, 10)
    boxes = [np.array([[0, 0, 2, 2], [1, 1, 3, 3]]), np.zeros((0, 4))]
    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((2, 1, 4, 4)),
        {"object_id": [0, 1]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        wavelength_angstrom=wave,
        spectra=spectra,
        boxes=boxes,
        box_labels=[np.array([1, 2]), np.array([])],
        box_label_names=["galaxy", "star", "lens"],  # a label without a name is refused
    )
    with CutoutFile(path) as cutouts:
        assert cutouts.box_label_names == ["galaxy", "star", "lens"]
        np.testing.assert_array_equal(cutouts[1]["spectrum"], spectra[1])
        np.testing.assert_array_equal(cutouts.wavelength_angstrom, wave)
        assert cutouts[0]["boxes"].shape == (2, 4) and list(cutouts[0]["box_labels"]) == [1, 2]
        assert cutouts[1]["boxes"].shape == (0, 4)


def test_unfinished_writer_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    writer = CutoutWriter(path, bands=["r"], image_size=(4, 4), pixel_scale_arcsec=1.0)
    writer.append(np.zeros((3, 1, 4, 4)), {"object_id": [0, 1, 2]})
    assert not path.exists()
    (tmp,) = _leftovers(tmp_path)
    writer._h5.flush()
    with pytest.raises(DataFormatError, match="not a finished astrobench cutout file"):
        CutoutFile(tmp)
    writer.close()
    assert path.exists() and _leftovers(tmp_path) == []


_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from astrobench.data.cutout_writer import CutoutWriter

    writer = CutoutWriter(sys.argv[1], bands=list("ugriz"), image_size=(32, 32),
                          pixel_scale_arcsec=0.262)
    rng = np.random.default_rng(0)
    for step in range(100000):
        writer.append(rng.normal(size=(16, 5, 32, 32)), {"object_id": np.arange(16) + 16 * step})
        writer._h5.flush()
        if step == 5:
            print("writing", flush=True)
    """
)


def test_sigkilled_writer_never_leaves_a_complete_file(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "killed.h5"
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "writing"
        time.sleep(0.3)  # let it get well into later chunks
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not path.exists()
    leftovers = _leftovers(tmp_path)
    assert leftovers, "the writer should have been killed while its temporary file existed"
    for candidate in [path, *leftovers]:
        with pytest.raises(
            DataFormatError, match=r"no such file|not a finished astrobench cutout file"
        ):
            CutoutFile(candidate)
        with pytest.raises(
            DataFormatError, match=r"no such file|not a finished astrobench cutout file"
        ):
            validate_cutout_file(candidate)
        code, _, err = run_cli("data", "validate", candidate)
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_label_names_are_json(small_cutouts: Path) -> None:
    with h5py.File(small_cutouts, "r") as handle:
        assert json.loads(handle["catalog"].attrs["label_names"]) == ["a", "b", "c"]


def test_spectrum_rows_dense_and_sparse_reads_agree(tmp_path: Path) -> None:
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(0)
    spectra = rng.normal(size=(50, 12)).astype(np.float32)
    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((50, 1, 4, 4), np.float32),
        {"object_id": np.arange(50)},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        spectra=spectra,
        spectra_ivar=spectra**2,
        wavelength_angstrom=np.arange(12, dtype=np.float32),
    )
    with CutoutFile(path) as cutouts:
        for rows in (np.array([3, 4, 6]), np.array([0, 20, 49]), np.array([7])):
            np.testing.assert_array_equal(cutouts.read_spectrum_rows(rows), spectra[rows])
            np.testing.assert_array_equal(
                cutouts.read_spectrum_rows(rows, ivar=True), spectra[rows] ** 2
            )
        assert cutouts.has_spectra_ivar


def test_masking_keeps_finite_pixels_and_counts_add_up_over_reads(tmp_path: Path) -> None:
    images = np.arange(3 * 16, dtype=np.float32).reshape(3, 1, 4, 4) + 1
    images[0, 0, 1, 1] = np.nan
    images[2, 0, 0, :2] = np.inf
    path = _nan_file(tmp_path, images)
    with CutoutFile(path, nan_policy="mask") as cutouts:
        both = cutouts.read_images([0, 2])
        expected = np.nan_to_num(images[[0, 2]], nan=0.0, posinf=0.0)
        np.testing.assert_array_equal(both, expected)  # only the bad pixels become 0
        assert (cutouts.n_masked_pixels, cutouts.n_masked_objects) == (3, 2)
        cutouts.read_images([1])  # clean: nothing added
        cutouts.read_slice(2, 3)  # object 2 again: counted again
        assert (cutouts.n_masked_pixels, cutouts.n_masked_objects) == (5, 3)
