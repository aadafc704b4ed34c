"""Every structure check of the cutout reader, each on a file damaged in exactly that way.

Each case starts from a valid file, breaks one thing with h5py, and expects the typed error and
its message both from `CutoutFile` and from `astrobench data validate` (exit 2, one line).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import AstrobenchError, BandError, DataFormatError

N = 6


def _valid(tmp_path: Path, spectra: bool = False) -> Path:
    extra = {}
    if spectra:
        extra = {
            "wavelength_angstrom": np.linspace(4000, 9000, 5),
            "spectra": np.ones((N, 5), dtype=np.float32),
        }
    return write_cutouts(
        tmp_path / "c.h5",
        np.zeros((N, 2, 4, 4), dtype=np.float32),
        {"object_id": np.arange(N), "label": np.arange(N) % 2},
        bands=["g", "r"],
        pixel_scale_arcsec=0.2,
        **extra,
    )


def _replace(handle: h5py.File, name: str, data: np.ndarray) -> None:
    del handle[name]
    handle.create_dataset(name, data=data)


def _drop_attr(key: str) -> Callable[[h5py.File], None]:
    def damage(handle: h5py.File) -> None:
        del handle.attrs[key]

    return damage


DAMAGES: dict[str, tuple[Callable[[h5py.File], None], type[Exception], str]] = {
    "format name": (
        lambda h: h.attrs.__setitem__("astrobench_format", "other"),
        DataFormatError,
        "not a finished astrobench cutout file",
    ),
    "no format attribute": (
        _drop_attr("astrobench_format"),
        DataFormatError,
        "not a finished astrobench cutout file",
    ),
    "format version": (
        lambda h: h.attrs.__setitem__("format_version", 2),
        DataFormatError,
        "cutout format_version 2, this astrobench reads 1",
    ),
    "no format version": (
        _drop_attr("format_version"),
        DataFormatError,
        "cutout format_version None",
    ),
    "missing root attribute": (
        _drop_attr("pixel_scale_arcsec"),
        DataFormatError,
        r"missing root attributes \['pixel_scale_arcsec'\]",
    ),
    "two missing root attributes": (
        lambda h: (_drop_attr("survey")(h), _drop_attr("license")(h)),
        DataFormatError,
        r"missing root attributes \['survey', 'license'\]",
    ),
    "no images": (lambda h: h.__delitem__("images"), DataFormatError, "missing /images"),
    "no catalog": (lambda h: h.__delitem__("catalog"), DataFormatError, "or /catalog"),
    "images not 4-D": (
        lambda h: _replace(h, "images", np.zeros((N, 2, 16), dtype=np.float32)),
        DataFormatError,
        r"/images has shape \(6, 2, 16\), not \[N, C, H, W\]",
    ),
    "more band names than channels": (
        lambda h: h.attrs.__setitem__("bands", ["g", "r", "i"]),
        BandError,
        "/images has 2 channels but 3 band names",
    ),
    "fewer band names than channels": (
        lambda h: h.attrs.__setitem__("bands", ["g"]),
        BandError,
        "/images has 2 channels but 1 band names",
    ),
    "catalog column too short": (
        lambda h: _replace(h, "catalog/label", np.arange(4)),
        DataFormatError,
        r"catalog column 'label' has shape \(4,\) for 6 images",
    ),
    "catalog column too long": (
        lambda h: _replace(h, "catalog/label", np.arange(8)),
        DataFormatError,
        r"catalog column 'label' has shape \(8,\) for 6 images",
    ),
    "catalog column 2-D": (
        lambda h: _replace(h, "catalog/label", np.zeros((N, 2))),
        DataFormatError,
        r"catalog column 'label' has shape \(6, 2\) for 6 images",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_each_structure_damage_is_refused(tmp_path: Path, run_cli, case: str) -> None:
    damage, error, message = DAMAGES[case]
    path = _valid(tmp_path)
    with h5py.File(path, "r+") as handle:
        damage(handle)
    with pytest.raises(error, match=message):
        CutoutFile(path)
    with pytest.raises(error, match=message):
        validate_cutout_file(path)
    code, out, err = run_cli("data", "validate", path)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("rows", [N - 1, N + 1])
def test_spectra_row_count_must_match_images(tmp_path: Path, rows: int) -> None:
    path = _valid(tmp_path, spectra=True)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "spectra", np.ones((rows, 5), dtype=np.float32))
    with pytest.raises(DataFormatError, match=r"/spectra has shape \(\d, 5\), expected \(6, L\)"):
        CutoutFile(path)


def test_an_intact_file_passes_every_check(tmp_path: Path) -> None:
    """The checks above fire on damage only: the undamaged file (with spectra) opens."""
    path = _valid(tmp_path, spectra=True)
    with CutoutFile(path) as cutouts:
        assert (len(cutouts), cutouts.bands, cutouts.has_spectra) == (N, ["g", "r"], True)
    assert validate_cutout_file(path).n_objects == N


def test_a_failed_structure_check_closes_the_file(tmp_path: Path) -> None:
    """The HDF5 handle opened before the check is closed when the check fails (no leak)."""
    path = _valid(tmp_path)
    with h5py.File(path, "r+") as handle:
        handle.attrs["format_version"] = 7
    opened: list[h5py.File] = []
    real_file = h5py.File

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_file(*args, **kwargs)
        opened.append(handle)
        return handle

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(h5py, "File", spy)
        with pytest.raises(DataFormatError, match="format_version 7"):
            CutoutFile(path)
    assert len(opened) == 1 and not opened[0].id.valid


def test_open_cutouts_passes_the_nan_policy(tmp_path: Path) -> None:
    from astrobench.data.cutout_file import open_cutouts

    images = np.ones((2, 1, 4, 4), dtype=np.float32)
    images[1, 0, 0, 0] = np.nan
    path = write_cutouts(
        tmp_path / "n.h5",
        images,
        {"object_id": [0, 1]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        allow_nonfinite=True,
    )
    with open_cutouts(path, nan_policy="mask") as cutouts:
        assert cutouts.nan_policy == "mask" and cutouts.read_image(1)[0, 0, 0] == 0.0
    with open_cutouts(path) as cutouts:
        assert cutouts.nan_policy == "error" and cutouts.read_image(0).sum() == 16


def test_closing_twice_is_harmless_and_attrs_are_plain_values(tmp_path: Path) -> None:
    path = _valid(tmp_path)
    cutouts = CutoutFile(path)
    attrs = cutouts.attrs
    assert attrs["bands"] == ["g", "r"] and isinstance(attrs["format_version"], int)
    assert attrs["astrobench_format"] == "cutouts"
    cutouts.close()
    cutouts.close()


def test_boxes_of_each_object_come_from_its_offsets(tmp_path: Path) -> None:
    boxes = [np.array([[0, 0, 1, 1]]), np.array([[1, 1, 2, 2], [2, 2, 3, 3]]), np.zeros((0, 4))]
    path = write_cutouts(
        tmp_path / "b.h5",
        np.zeros((3, 1, 4, 4), dtype=np.float32),
        {"object_id": [0, 1, 2]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        boxes=boxes,
        box_labels=[np.array([5]), np.array([6, 7]), np.array([], dtype=np.int64)],
        box_label_names=[f"class{i}" for i in range(8)],
    )
    with CutoutFile(path) as cutouts:
        for index, expected in enumerate(boxes):
            found, _ = cutouts.read_boxes(index)
            np.testing.assert_array_equal(found, expected)
        assert cutouts.read_boxes(1)[1].tolist() == [6, 7]


def _spectra_file(path: Path, spectra: np.ndarray, **extra: np.ndarray) -> Path:
    """2x2 one-band images of zeros beside `spectra` [n, L] (and e.g. `spectra_ivar`)."""
    n, length = spectra.shape
    return write_cutouts(
        path,
        np.zeros((n, 1, 2, 2), dtype=np.float32),
        {"object_id": np.arange(n)},
        bands=["r"],
        pixel_scale_arcsec=0.4,
        wavelength_angstrom=np.linspace(3600, 9800, length),
        spectra=spectra,
        **extra,
    )


def _flip_spectrum_chunk(path: Path, index: int, dataset: str = "spectra") -> None:
    with h5py.File(path, "r") as handle:
        info = handle[dataset].id.get_chunk_info_by_coord((index, 0))
    with open(path, "r+b") as raw:
        raw.seek(info.byte_offset + info.size // 2)
        byte = raw.read(1)
        raw.seek(info.byte_offset + info.size // 2)
        raw.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_spectrum_in_a_later_block_is_named(tmp_path: Path) -> None:
    from astrobench.errors import CorruptDataError

    n = 600
    path = _spectra_file(tmp_path / "s.h5", np.ones((n, 8), dtype=np.float32))
    with h5py.File(path, "r") as handle:
        rows = handle["spectra"].chunks[0]  # spectra are stored in chunks of `rows` objects
    _flip_spectrum_chunk(path, 0)  # damages objects 0 .. rows-1
    _flip_spectrum_chunk(path, 2 * rows)  # damages objects 2 rows .. 3 rows - 1
    with CutoutFile(path) as cutouts:
        first = 2 * rows + 8
        with pytest.raises(CorruptDataError, match=f"spectrum of object {first} fails"):
            cutouts.read_spectra_slice(first, first + 20)
        block = cutouts.read_spectra_slice(rows + 10, rows + 20)
        assert block.dtype == np.float32 and block.shape == (10, 8)


def test_corruption_messages_are_short_and_hinted() -> None:
    from astrobench.data.cutout_file import _corrupt, _short

    assert _short(OSError("can't  read\n data")) == "can't read data"
    assert _short(ValueError("x" * 119)) == "x" * 119
    assert _short(ValueError("x" * 120)) == "x" * 117 + "..."
    error = _corrupt(Path("f.h5"), 7, OSError("bad  checksum"), what="spectrum")
    assert error.one_line() == (
        "f.h5: the spectrum of object 7 fails its checksum (bad checksum) "
        "(hint: the file is damaged on disk; re-create or re-download it)"
    )


def test_spectra_stored_as_float64_are_read_as_float32(tmp_path: Path) -> None:
    path = _valid(tmp_path, spectra=True)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "spectra", np.full((N, 5), 1 / 3, dtype=np.float64))
    with CutoutFile(path) as cutouts:
        block = cutouts.read_spectra_slice(0, N)
        assert block.dtype == np.float32 and block.shape == (N, 5)
        assert cutouts.read_spectrum(2).dtype == np.float32


def test_string_columns_are_unicode_arrays_and_a_missing_column_lists_the_others(
    tmp_path: Path,
) -> None:
    from astrobench.errors import MissingColumnError

    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((2, 1, 2, 2), dtype=np.float32),
        {"object_id": ["a", "bb"], "label": [0, 1]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )
    with CutoutFile(path) as cutouts:
        ids = cutouts.column("object_id")
        assert ids.dtype.kind == "U" and ids.tolist() == ["a", "bb"]
        with pytest.raises(MissingColumnError, match="no catalog column 'mass'") as error:
            cutouts.column("mass")
        assert error.value.one_line() == (
            f"{path}: no catalog column 'mass' (hint: available columns: label, object_id)"
        )


def test_images_stored_as_float64_are_read_as_float32(tmp_path: Path) -> None:
    path = _valid(tmp_path)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "images", np.full((N, 2, 4, 4), 1 / 3, dtype=np.float64))
    with CutoutFile(path) as cutouts:
        assert cutouts.read_slice(0, N).dtype == np.float32
        assert cutouts.read_images([1, 4]).dtype == np.float32


def test_a_damaged_image_in_a_later_block_is_named_with_its_file(
    tmp_path: Path, corrupt_image
) -> None:
    from astrobench.errors import CorruptDataError

    path = write_cutouts(
        tmp_path / "many.h5",
        np.ones((40, 1, 2, 2), dtype=np.float32),
        {"object_id": np.arange(40)},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )
    corrupt_image(path, 3)
    corrupt_image(path, 30)
    with CutoutFile(path) as cutouts, pytest.raises(CorruptDataError, match="object 30") as error:
        cutouts.read_slice(25, 35)
    message = error.value.one_line()
    assert message.startswith(f"{path}: the image of object 30 fails its checksum (")
    assert "(None)" not in message  # the HDF5 reason is quoted


def test_a_damaged_spectrum_names_its_file_and_reason(tmp_path: Path) -> None:
    from astrobench.errors import CorruptDataError

    path = _valid(tmp_path, spectra=True)
    _flip_spectrum_chunk(path, 0)
    with CutoutFile(path) as cutouts, pytest.raises(CorruptDataError, match="object 2") as error:
        cutouts.read_spectrum(2)
    message = error.value.one_line()
    assert message.startswith(f"{path}: the spectrum of object 2 fails its checksum (")
    assert "(None)" not in message


def test_non_finite_pixels_error_names_the_object_and_the_fix(tmp_path: Path) -> None:
    from astrobench.errors import NonFiniteDataError

    images = np.ones((3, 2, 2, 2), dtype=np.float32)
    images[2, 1, 0, 1] = np.inf
    path = write_cutouts(
        tmp_path / "nan.h5",
        images,
        {"object_id": [0, 1, 2]},
        bands=["g", "r"],
        pixel_scale_arcsec=1.0,
        allow_nonfinite=True,
    )
    with CutoutFile(path) as cutouts, pytest.raises(NonFiniteDataError, match="object 2") as error:
        cutouts.read_slice(0, 3)
    assert error.value.one_line() == (
        f"{path}: object 2 has NaN or infinite pixels (hint: use nan_policy='mask' "
        "(CLI: --nan-policy mask) to replace them with 0 and count them)"
    )


def test_spectrum_rows_of_no_objects_and_of_float64_storage_are_float32(tmp_path: Path) -> None:
    path = _valid(tmp_path, spectra=True)
    with CutoutFile(path) as cutouts:
        empty = cutouts.read_spectrum_rows(np.array([], dtype=np.int64))
        assert empty.shape == (0, 5) and empty.dtype == np.float32
    with h5py.File(path, "r+") as handle:
        _replace(handle, "spectra", np.full((N, 5), 1 / 3, dtype=np.float64))
    with CutoutFile(path) as cutouts:
        for rows in (np.array([1, 2]), np.array([0, 5])):  # a dense and a sparse read
            block = cutouts.read_spectrum_rows(rows)
            assert block.dtype == np.float32
            np.testing.assert_array_equal(block, np.full((2, 5), 1 / 3, dtype=np.float32))


def test_a_damaged_spectrum_chunk_names_the_first_damaged_object_asked_for(
    tmp_path: Path,
) -> None:
    """A chunk holds several objects; the error names the first requested one inside the damage,
    not merely the first one requested."""
    from astrobench.errors import CorruptDataError

    n, width = 12, 65536  # 2**20 // (4 * width) = 4 objects per chunk
    spectra = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, width), np.float32)
    path = _spectra_file(tmp_path / "wide.h5", spectra, spectra_ivar=spectra + 1)
    with h5py.File(path, "r") as handle:
        assert handle["spectra"].chunks[0] == 4
    _flip_spectrum_chunk(path, 4)  # objects 4..7
    with CutoutFile(path) as cutouts:
        for rows in (np.array([1, 5, 6]), np.array([1, 6, 11])):  # dense, then sparse
            with pytest.raises(CorruptDataError, match="object") as error:
                cutouts.read_spectrum_rows(rows)
            assert error.value.one_line().startswith(
                f"{path}: the spectrum of object {rows[1]} fails its checksum ("
            )
        intact = cutouts.read_spectrum_rows(np.array([1, 9]), ivar=True)  # chunks 0 and 2
        np.testing.assert_array_equal(intact[:, 0], [2.0, 10.0])
        ivar_of_5 = cutouts.read_spectrum_rows(np.array([5]), ivar=True)  # other dataset: intact
        np.testing.assert_array_equal(ivar_of_5[0, :3], 6.0)


def test_label_names_are_decoded_as_utf8_json_lists_of_strings() -> None:
    from astrobench.data.cutout_checks import parse_label_names

    path = Path("f.h5")
    assert parse_label_names('["spiral", "Sérsic"]', path) == ["spiral", "Sérsic"]
    assert parse_label_names('["spiral", "Sérsic"]'.encode(), path) == ["spiral", "Sérsic"]
    hint = 'store it as a JSON list of class names, e.g. ["spiral", "elliptical"]'
    with pytest.raises(DataFormatError, match="not UTF-8 JSON") as error:
        parse_label_names(b'["\xff"]', path)
    assert error.value.one_line() == (
        f"f.h5: catalog attribute label_names is not UTF-8 JSON (UnicodeDecodeError) (hint: {hint})"
    )
    with pytest.raises(DataFormatError, match="not UTF-8 JSON") as error:
        parse_label_names("[spiral", path)
    assert "(JSONDecodeError)" in error.value.message
    for not_a_list in ('"spiral"', '["a", 1]', '{"a": "b"}'):
        with pytest.raises(DataFormatError, match="must be a JSON list of strings") as error:
            parse_label_names(not_a_list, path)
        assert error.value.one_line() == (
            f"f.h5: catalog attribute label_names must be a JSON list of strings (hint: {hint})"
        )


def test_box_table_of_a_file_without_boxes_says_how_to_make_one(tmp_path: Path) -> None:
    path = _valid(tmp_path)
    with CutoutFile(path) as cutouts, pytest.raises(DataFormatError, match="no /boxes") as error:
        cutouts.box_table()
    assert error.value.one_line() == (
        f"{path}: this file has no /boxes (hint: detection needs a file with boxes: "
        "`astrobench data synth --preset fields-desi-ls` or `astrobench data import-coco`)"
    )


def test_label_values_are_checked_against_the_names() -> None:
    from astrobench.data.cutout_checks import check_labels

    path = Path("f.h5")
    hint = "(hint: fix the labels or label_names, then re-create the file)"
    names = ["a", "b", "c"]
    check_labels(np.array([-1, 0, 2]), names, path)  # -1 = no label; 2 = the last name
    check_labels(np.array([], dtype=np.int64), names, path)  # nothing to check
    check_labels(np.array([-1, 7]), None, path)  # without names any class index >= 0 is allowed
    check_labels(np.array([7]), [], path)  # an empty name list names nothing either
    refusals = {
        (0, 3): f"f.h5: labels span 0..3, allowed -1..2 (-1 = no label) {hint}",
        (5,): f"f.h5: labels span 5..5, allowed -1..2 (-1 = no label) {hint}",
        (-2, 1): f"f.h5: labels span -2..1, allowed -1..2 (-1 = no label) {hint}",
    }
    for labels, line in refusals.items():
        with pytest.raises(DataFormatError, match="labels span") as error:
            check_labels(np.array(labels), names, path)
        assert error.value.one_line() == line
    with pytest.raises(DataFormatError, match="labels span") as error:
        check_labels(np.array([-2]), None, path)
    assert (
        error.value.one_line() == f"f.h5: labels span -2..-2, allowed >= -1 (-1 = no label) {hint}"
    )
    with pytest.raises(DataFormatError, match="holds float64") as error:
        check_labels(np.array([0.0, 1.0]), names, path)
    assert error.value.one_line() == "f.h5: catalog column 'label' holds float64, not integers"


def _boxed(tmp_path: Path) -> Path:
    """Three images with 1, 2 and 0 boxes."""
    return write_cutouts(
        tmp_path / "b.h5",
        np.zeros((3, 1, 8, 8), dtype=np.float32),
        {"object_id": [0, 1, 2]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        boxes=[np.array([[0, 0, 2, 2]]), np.array([[1, 1, 3, 3], [2, 2, 4, 4]]), np.zeros((0, 4))],
        box_labels=[np.array([0]), np.array([1, 0]), np.array([], dtype=np.int64)],
        box_label_names=["star", "galaxy"],
    )


BOX_DAMAGES: dict[str, tuple[Callable[[h5py.File], None], str]] = {
    "no box labels": (lambda h: h.__delitem__("box_labels"), "/boxes without box_labels"),
    "no offsets or labels": (
        lambda h: (h.__delitem__("box_labels"), h.__delitem__("box_offsets")),
        "/boxes without box_labels, box_offsets",
    ),
    "boxes not 2-D": (
        lambda h: _replace(h, "boxes", np.zeros((3, 4, 1), np.float32)),
        r"/boxes \(3, 4, 1\) and /box_labels \(3,\) are not \[M, 4\] and \[M\]",
    ),
    "boxes of 5 numbers": (
        lambda h: _replace(h, "boxes", np.zeros((3, 5), np.float32)),
        r"/boxes \(3, 5\) and /box_labels \(3,\) are not \[M, 4\] and \[M\]",
    ),
    "a label short": (
        lambda h: _replace(h, "box_labels", np.zeros(2, np.int64)),
        r"/boxes \(3, 4\) and /box_labels \(2,\) are not \[M, 4\] and \[M\]",
    ),
    "offsets of another length": (
        lambda h: _replace(h, "box_offsets", np.array([0, 1, 3], np.int64)),
        r"/box_offsets has shape \(3,\), expected \(4,\)",
    ),
    "offsets not ending at the box count": (
        lambda h: _replace(h, "box_offsets", np.array([0, 1, 3, 2], np.int64)),
        r"/box_offsets \(shape \(4,\)\) do not partition 3 boxes among 3 images",
    ),
}


@pytest.mark.parametrize("case", sorted(BOX_DAMAGES))
def test_each_box_structure_damage_is_refused_naming_the_file(tmp_path: Path, case: str) -> None:
    damage, message = BOX_DAMAGES[case]
    path = _boxed(tmp_path)
    with CutoutFile(path) as cutouts:
        assert cutouts.has_boxes  # intact before the damage
    with h5py.File(path, "r+") as handle:
        damage(handle)
    with pytest.raises(DataFormatError, match=message) as error:
        CutoutFile(path)
    assert error.value.message.startswith(f"{path}: /box")
    assert re.search(message + "$", error.value.message)  # the whole problem, nothing after it


def test_validate_checks_every_box_and_counts_them(tmp_path: Path) -> None:
    path = _boxed(tmp_path)
    assert validate_cutout_file(path).n_boxes == 3
    assert validate_cutout_file(_valid(tmp_path)).n_boxes is None
    with h5py.File(path, "r+") as handle:
        boxes = handle["boxes"][()]
        boxes[2] = [2, 2, 9.5, 4]  # the second box of object 1 runs off the 8x8 image
        handle["boxes"][...] = boxes
    with pytest.raises(DataFormatError, match="outside") as error:
        validate_cutout_file(path)
    assert error.value.message == (
        f"{path}: box 1 of object 1 (2.0, 2.0, 9.5, 4.0) lies outside the 8x8 image"
    )
    with h5py.File(path, "r+") as handle:
        handle["boxes"][2] = [2, 2, 4, 4]
        handle["box_labels"][1] = 2  # only "star" and "galaxy" are named
    with pytest.raises(DataFormatError, match="has label 2") as error:
        validate_cutout_file(path)
    assert error.value.message == (
        f"{path}: box 0 of object 1 has label 2 but only 2 box class names are given"
    )


_RECREATE_HINT = "(hint: re-create the file with astrobench (data synth / import / get))"


def test_optional_datasets_must_be_numeric_with_the_right_rows(tmp_path: Path) -> None:
    path = _valid(tmp_path, spectra=True)
    damages: dict[str, tuple[Callable[[h5py.File], None], str]] = {
        "text spectra": (
            lambda h: _replace(h, "spectra", np.array([b"x"] * N)),
            f"{path}: /spectra is not a numeric dataset {_RECREATE_HINT}",
        ),
        "a group for a wavelength": (
            lambda h: (h.__delitem__("wavelength"), h.create_group("wavelength")),
            f"{path}: /wavelength is not a numeric dataset {_RECREATE_HINT}",
        ),
        "1-D spectra": (
            lambda h: _replace(h, "spectra", np.ones(N, np.float32)),
            f"{path}: /spectra has shape ({N},), expected ({N}, L) {_RECREATE_HINT}",
        ),
        "a wavelength of another length": (
            lambda h: _replace(h, "wavelength", np.linspace(4000, 9000, 4)),
            f"{path}: /wavelength does not match /spectra {_RECREATE_HINT}",
        ),
    }
    for name, (damage, line) in damages.items():
        copy = tmp_path / f"{name}.h5"
        copy.write_bytes(path.read_bytes())
        with h5py.File(copy, "r+") as handle:
            damage(handle)
        with pytest.raises(DataFormatError, match="/") as error:
            CutoutFile(copy)
        assert error.value.one_line() == line.replace(str(path), str(copy)), name


def test_a_text_box_label_is_refused_in_a_file_without_spectra(tmp_path: Path) -> None:
    """Absent spectra are skipped, not the end of the checks: the boxes after them are checked."""
    path = _boxed(tmp_path)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "box_labels", np.array([b"a", b"b", b"c"]))
    with pytest.raises(DataFormatError, match="/box_labels is not a numeric dataset"):
        CutoutFile(path)


def test_spectra_without_a_wavelength_or_a_wavelength_without_spectra_open(
    tmp_path: Path,
) -> None:
    path = _valid(tmp_path, spectra=True)
    with h5py.File(path, "r+") as handle:
        del handle["wavelength"]
    with CutoutFile(path) as cutouts:
        assert cutouts.has_spectra
    (tmp_path / "other").mkdir()
    path = _valid(tmp_path / "other", spectra=True)
    with h5py.File(path, "r+") as handle:
        del handle["spectra"]
    with CutoutFile(path) as cutouts:
        assert not cutouts.has_spectra


def test_a_spectrum_larger_than_the_object_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_cutouts(
        tmp_path / "s.h5",
        np.zeros((N, 2, 4, 4), dtype=np.float32),  # 128 bytes an image
        {"object_id": np.arange(N)},
        bands=["g", "r"],
        pixel_scale_arcsec=0.2,
        wavelength_angstrom=np.linspace(4000, 9000, 100),
        spectra=np.ones((N, 100), dtype=np.float32),  # 400 bytes a spectrum
    )
    monkeypatch.setenv("ASTROBENCH_MAX_OBJECT_BYTES", "200")
    with pytest.raises(
        DataFormatError, match="one object takes 400 bytes, more than the limit 200"
    ):
        CutoutFile(path)


_RECREATE = "re-create the file with astrobench (data synth / import / get)"
_UNFINISHED = (
    "its writer may have been killed; re-create it, or convert your data with "
    "`astrobench data import`"
)
_BAND_FIX = "re-create the file with one band name per channel"
_UPGRADE = "upgrade astrobench or re-create the file"


def _damage(case: str) -> Callable[[h5py.File], None]:
    return DAMAGES[case][0]


# The damages above and more, each with the whole line a user reads: file, what is wrong, the fix.
WHOLE_LINES: dict[str, tuple[Callable[[h5py.File], None], str, str]] = {
    "format name": (_damage("format name"), "not a finished astrobench cutout file", _UNFINISHED),
    "no format attribute": (
        _damage("no format attribute"), "not a finished astrobench cutout file", _UNFINISHED
    ),
    "format name in bytes": (
        lambda h: h.attrs.__setitem__("astrobench_format", np.bytes_(b"astrobench-cutouts-x")),
        "not a finished astrobench cutout file", _UNFINISHED,
    ),
    "format version": (
        _damage("format version"), "cutout format_version 2, this astrobench reads 1", _UPGRADE
    ),
    "no format version": (
        _damage("no format version"), "cutout format_version None, this astrobench reads 1",
        _UPGRADE,
    ),
    "format version 1.5": (
        lambda h: h.attrs.__setitem__("format_version", 1.5),
        "cutout format_version 1.5, this astrobench reads 1", _UPGRADE,
    ),
    "format version as text": (
        lambda h: h.attrs.__setitem__("format_version", "one"),
        "cutout format_version 'one', this astrobench reads 1", _UPGRADE,
    ),
    "missing root attribute": (
        _damage("missing root attribute"), "missing root attributes ['pixel_scale_arcsec']",
        _RECREATE,
    ),
    "two missing root attributes": (
        _damage("two missing root attributes"), "missing root attributes ['survey', 'license']",
        _RECREATE,
    ),
    "no images": (_damage("no images"), "missing /images dataset or /catalog group", _RECREATE),
    "no catalog": (_damage("no catalog"), "missing /images dataset or /catalog group", _RECREATE),
    "images not 4-D": (
        _damage("images not 4-D"), "/images has shape (6, 2, 16), not [N, C, H, W]", _RECREATE
    ),
    "images of text": (
        lambda h: _replace(h, "images", np.full((N, 2, 4, 4), b"x")),
        "/images holds |S1, not numbers", _RECREATE,
    ),
    "more band names than channels": (
        _damage("more band names than channels"),
        "/images has 2 channels but 3 band names ['g', 'r', 'i']", _BAND_FIX,
    ),
    "fewer band names than channels": (
        _damage("fewer band names than channels"),
        "/images has 2 channels but 1 band names ['g']", _BAND_FIX,
    ),
    "no objects": (
        lambda h: (_replace(h, "images", np.zeros((0, 2, 4, 4), np.float32)),
                   _replace(h, "catalog/label", np.zeros(0, np.int64)),
                   _replace(h, "catalog/object_id", np.zeros(0, np.int64))),
        "holds no images (shape (0, 2, 4, 4))", _RECREATE,
    ),
    "images of height 0": (
        lambda h: _replace(h, "images", np.zeros((N, 2, 0, 4), np.float32)),
        "holds no images (shape (6, 2, 0, 4))", _RECREATE,
    ),
    "images of width 0": (
        lambda h: _replace(h, "images", np.zeros((N, 2, 4, 0), np.float32)),
        "holds no images (shape (6, 2, 4, 0))", _RECREATE,
    ),
    "catalog column too short": (
        _damage("catalog column too short"),
        "catalog column 'label' has shape (4,) for 6 images", _RECREATE,
    ),
    "catalog column too long": (
        _damage("catalog column too long"),
        "catalog column 'label' has shape (8,) for 6 images", _RECREATE,
    ),
    "catalog column 2-D": (
        _damage("catalog column 2-D"),
        "catalog column 'label' has shape (6, 2) for 6 images", _RECREATE,
    ),
    "catalog column a group": (
        lambda h: (h.__delitem__("catalog/label"), h.create_group("catalog/label")),
        "catalog column 'label' has shape a group for 6 images", _RECREATE,
    ),
    "bands with a duplicate": (
        lambda h: h.attrs.__setitem__("bands", ["g", "g"]),
        "attribute 'bands' must be distinct band names, got ['g', 'g']", _RECREATE,
    ),
    "a blank band name": (
        lambda h: h.attrs.__setitem__("bands", ["g", " "]),
        "attribute 'bands' must be distinct band names, got ['g', ' ']", _RECREATE,
    ),
    "band names that are numbers": (
        lambda h: h.attrs.__setitem__("bands", [1, 2]),
        "attribute 'bands' must be distinct band names, got [1, 2]", _RECREATE,
    ),
    "pixel scale 0": (
        lambda h: h.attrs.__setitem__("pixel_scale_arcsec", 0.0),
        "pixel_scale_arcsec must be a positive number, got 0.0", _RECREATE,
    ),
    "pixel scale as text": (
        lambda h: h.attrs.__setitem__("pixel_scale_arcsec", "0.2"),
        "pixel_scale_arcsec must be a positive number, got '0.2'", _RECREATE,
    ),
    "pixel scale true": (
        lambda h: h.attrs.__setitem__("pixel_scale_arcsec", True),
        "pixel_scale_arcsec must be a positive number, got True", _RECREATE,
    ),
    "pixel scale NaN": (
        lambda h: h.attrs.__setitem__("pixel_scale_arcsec", np.nan),
        "pixel_scale_arcsec must be a positive number, got nan", _RECREATE,
    ),
    "bands as one string": (
        lambda h: h.attrs.__setitem__("bands", "gr"),  # one name, not the bands g and r
        "/images has 2 channels but 1 band names ['gr']", _BAND_FIX,
    ),
    "pixel scale not a number": (
        lambda h: h.attrs.__setitem__("pixel_scale_arcsec", [0.2, 0.3]),
        "pixel_scale_arcsec must be a positive number, got [0.2, 0.3]", _RECREATE,
    ),
    "catalog column linked to another file": (
        lambda h: h.__setitem__("catalog/extra", h5py.ExternalLink("other.h5", "/x")),
        "/catalog/extra is an external link to other.h5",
        "a cutout file must hold its own data; copy the data in (h5copy) or re-create it",
    ),
    "catalog column declaring unstored rows": (
        lambda h: h.create_dataset("catalog/extra", shape=(N,), dtype="f4", chunks=(2,)),
        "/catalog/extra declares shape (6,) but stores only 0 of its 3 chunks",
        "the file is truncated or forged; re-create or re-download it",
    ),
    "format version in undecodable bytes": (
        lambda h: h.attrs.__setitem__("format_version", np.bytes_(b"\xff")),
        "cutout format_version \"b'\\\\xff'\", this astrobench reads 1", _UPGRADE,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(WHOLE_LINES))
def test_each_damage_is_one_line_with_file_problem_and_fix(tmp_path: Path, case: str) -> None:
    damage, message, hint = WHOLE_LINES[case]
    path = _valid(tmp_path)
    with h5py.File(path, "r+") as handle:
        damage(handle)
    with pytest.raises(AstrobenchError, match=re.escape(message)) as error:
        CutoutFile(path)
    assert error.value.one_line() == f"{path}: {message} (hint: {hint})"


def test_small_files_and_equivalent_attribute_spellings_open(tmp_path: Path) -> None:
    """One object, one-pixel images, a float format version 1.0 and a format name stored as
    bytes are all valid."""
    from astrobench.data import cutout_format as fmt

    path = write_cutouts(
        tmp_path / "one.h5",
        np.zeros((1, 1, 1, 1), dtype=np.float32),
        {"object_id": [0]},
        bands=["r"],
        pixel_scale_arcsec=0.2,
    )
    with h5py.File(path, "r+") as handle:
        handle.attrs["format_version"] = 1.0
        handle.attrs["astrobench_format"] = np.bytes_(fmt.FORMAT_NAME.encode())
    with CutoutFile(path) as cutouts:
        assert len(cutouts) == 1 and cutouts.image_shape == (1, 1, 1)


def test_an_unexpected_failure_while_checking_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from astrobench.data import cutout_file

    def broken(h5: h5py.File, path: Path) -> None:
        raise KeyError("catalog")

    monkeypatch.setattr(cutout_file, "check_cutout_structure", broken)
    path = _valid(tmp_path)
    with pytest.raises(DataFormatError, match="unreadable cutout file structure") as error:
        CutoutFile(path)
    assert error.value.one_line() == (
        f"{path}: unreadable cutout file structure ('catalog') "
        "(hint: re-create or re-download the file)"
    )


def test_a_missing_or_unreadable_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file") as error:
        CutoutFile(tmp_path / "absent.h5")
    assert error.value.one_line() == (
        f"{tmp_path / 'absent.h5'}: no such file "
        "(hint: check the path, or create one with `astrobench data synth`)"
    )
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    with pytest.raises(DataFormatError, match="not a readable HDF5 file") as error:
        CutoutFile(text)
    line = error.value.one_line()
    assert line.startswith(f"{text}: not a readable HDF5 file (Unable to ")
    assert line.endswith(
        "(hint: the file is truncated, corrupt or unfinished; re-create or re-download it)"
    )


def test_box_table_reads_any_stored_dtype_as_float32_boxes_and_int64_labels(
    tmp_path: Path,
) -> None:
    path = _boxed(tmp_path)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "boxes", handle["boxes"][()].astype(np.float64))
        names = handle["box_labels"].attrs["label_names"]
        _replace(handle, "box_labels", handle["box_labels"][()].astype(np.int32))
        handle["box_labels"].attrs["label_names"] = names
        _replace(handle, "box_offsets", handle["box_offsets"][()].astype(np.int32))
    with CutoutFile(path) as cutouts:
        table = cutouts.box_table()
    assert table.boxes.dtype == np.float32 and table.labels.dtype == np.int64
    assert table.offsets.dtype == np.int64 and table.offsets.tolist() == [0, 1, 3, 3]


def test_long_attribute_values_are_cut_to_300_characters_in_the_message(tmp_path: Path) -> None:
    long_values = (("bands", ["x" * 400] * 2), ("pixel_scale_arcsec", "x" * 400))  # no spaces
    for attribute, value in long_values:
        path = _valid(tmp_path)
        with h5py.File(path, "r+") as handle:
            handle.attrs[attribute] = value
        with pytest.raises(DataFormatError, match=attribute) as error:
            CutoutFile(path)
        assert len(error.value.message) == 300, attribute


def test_reading_the_label_column_checks_it_against_the_files_names(tmp_path: Path) -> None:
    path = write_cutouts(
        tmp_path / "l.h5",
        np.zeros((3, 1, 2, 2), dtype=np.float32),
        {"object_id": [0, 1, 2], "label": [0, 1, 1]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        label_names=["spiral", "elliptical"],
    )
    with h5py.File(path, "r+") as handle:
        handle["catalog/label"][2] = 2  # no third name
    with CutoutFile(path) as cutouts, pytest.raises(DataFormatError, match="labels span") as error:
        cutouts.column("label")
    assert error.value.message == f"{path}: labels span 0..2, allowed -1..1 (-1 = no label)"


def test_text_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = _valid(tmp_path)
    with h5py.File(path, "r+") as handle:
        handle["catalog"].create_dataset(
            "name", data=np.array([b"\xff"] * N, dtype=h5py.string_dtype("utf-8", 1))
        )
    with CutoutFile(path) as cutouts, pytest.raises(DataFormatError, match="not UTF-8") as error:
        cutouts.column("name")
    assert error.value.one_line() == (
        f"{path}: catalog column 'name' holds text that is not UTF-8 "
        "(hint: re-create the file with UTF-8 strings)"
    )


def test_a_damaged_inverse_variance_chunk_is_named_as_such(tmp_path: Path) -> None:
    from astrobench.errors import CorruptDataError

    spectra = np.ones((12, 65536), np.float32)  # 4 objects per chunk
    path = _spectra_file(tmp_path / "ivar.h5", spectra, spectra_ivar=spectra * 2)
    _flip_spectrum_chunk(path, 8, dataset="spectra_ivar")  # objects 8..11
    with CutoutFile(path) as cutouts:
        np.testing.assert_array_equal(cutouts.read_spectrum_rows(np.array([9]))[0, :2], 1.0)
        with pytest.raises(CorruptDataError, match="inverse variance") as error:
            cutouts.read_spectrum_rows(np.array([2, 9]), ivar=True)
    line = error.value.one_line()
    assert line.startswith(
        f"{path}: the spectrum inverse variance of object 9 fails its checksum ("
    )
    assert "(None)" not in line  # the HDF5 reason is quoted


def test_one_spectrum_of_float64_storage_is_read_as_float32(tmp_path: Path) -> None:
    path = _valid(tmp_path, spectra=True)
    with h5py.File(path, "r+") as handle:
        _replace(handle, "spectra", np.full((N, 5), 1 / 3, dtype=np.float64))
    with CutoutFile(path) as cutouts:
        one = cutouts.read_spectrum(4)
    assert one.dtype == np.float32 and one.shape == (5,)
    np.testing.assert_array_equal(one, np.float32(1 / 3))


def test_each_box_structure_damage_says_how_to_re_create_the_file(tmp_path: Path) -> None:
    hint = (
        "re-create it with `astrobench data synth --preset fields-desi-ls` or "
        "`astrobench data import-coco`"
    )
    for case, (damage, message) in sorted(BOX_DAMAGES.items()):
        folder = tmp_path / case.replace(" ", "_")
        folder.mkdir()
        path = _boxed(folder)
        with h5py.File(path, "r+") as handle:
            damage(handle)
        with pytest.raises(DataFormatError, match=message) as error:
            CutoutFile(path)
        if case != "offsets not ending at the box count":  # check_offsets words its own hint
            assert error.value.hint == hint, case
