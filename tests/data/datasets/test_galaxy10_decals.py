"""galaxy-10-decals end to end: real download path on a local server, --from, offline error."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.get import get_dataset
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import ChecksumError, DownloadError, MissingColumnError

from .conftest import load_generator

NAME = "galaxy10-decals"
generator = load_generator("galaxy10_decals")


def test_download_verify_convert_and_reuse(tmp_path: Path, served, point_at_fakes) -> None:
    folder, url = served
    generator.generate(folder)
    point_at_fakes(NAME, folder, url)
    path = get_dataset(NAME, root=tmp_path / "root", progress=False)
    assert validate_cutout_file(path).n_objects == 20
    with CutoutFile(path) as cutouts, h5py.File(folder / "Galaxy10_DECals.h5") as original:
        assert cutouts.bands == ["g", "r", "z"]
        assert cutouts.image_shape == (3, 256, 256)
        assert cutouts.pixel_scale_arcsec == pytest.approx(0.262)
        assert (
            cutouts.label_names[4] == "Cigar Shaped Smooth"
        )  # the docs' names, not the code dict's
        np.testing.assert_array_equal(cutouts.column("label"), original["ans"][:])
        assert np.isnan(cutouts.column("redshift")[3])  # NaN redshifts are kept, not invented
        expected = original["images"][7].transpose(2, 0, 1) / 255.0
        np.testing.assert_allclose(cutouts.read_image(7), expected, atol=1e-6)
        assert "Leung" in cutouts.attrs["citation"] and "MIT" in cutouts.attrs["license"]
    stamp = path.stat().st_mtime_ns
    (folder / "Galaxy10_DECals.h5").unlink()  # a second call must not download or convert again
    assert get_dataset(NAME, root=tmp_path / "root", progress=False) == path
    assert path.stat().st_mtime_ns == stamp


def test_wrong_checksum_is_rejected_and_nothing_is_kept(
    tmp_path: Path, served, point_at_fakes
) -> None:
    folder, url = served
    generator.generate(folder)
    point_at_fakes(NAME, folder, url, wrong_checksum=True)
    with pytest.raises(ChecksumError, match="expected 0000"):
        get_dataset(NAME, root=tmp_path / "root", progress=False)
    leftovers = [p for p in (tmp_path / "root").rglob("*") if p.is_file()]
    assert leftovers == []


def test_offline_cli_names_url_and_manual_step(
    tmp_path: Path, offline, run_cli, monkeypatch
) -> None:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path))
    code, _, err = run_cli("data", "get", NAME)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5" in lines[0]
    assert "--from" in lines[0] and "Galaxy10_DECals.h5" in lines[0]
    with pytest.raises(
        DownloadError, match=r"could not download https://zenodo.org/.*offline or unreachable"
    ):
        get_dataset(NAME, root=tmp_path, progress=False)


def test_from_file_cli_with_and_without_verification(tmp_path: Path, run_cli) -> None:
    fake = generator.generate(tmp_path / "by_hand")
    root = tmp_path / "root"
    code, _, err = run_cli("data", "get", NAME, "--root", root, "--from", fake)
    assert code == 2 and "sha256" in err  # a fake never matches the published checksum
    code, out, _ = run_cli("data", "get", NAME, "--root", root, "--from", fake, "--no-verify")
    assert code == 0
    converted = Path(out.strip())
    code, out, _ = run_cli("data", "info", converted, "--json")
    info = json.loads(out)
    assert info["n_objects"] == 20
    names = [entry["name"] for entry in info["labels"]]
    assert len(names) == 10 and names[0] == "Disturbed" and names[9] == "Edge-on with Bulge"
    assert all(entry["count"] == 2 for entry in info["labels"])
    assert run_cli("data", "validate", converted)[0] == 0


def test_wrong_layout_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "Galaxy10_DECals.h5"
    with h5py.File(bad, "w") as h5:
        h5.create_dataset("images", data=np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(MissingColumnError, match="ans"):
        get_dataset(NAME, root=tmp_path / "root", from_path=bad, verify=False, progress=False)


def test_interrupted_conversion_leaves_no_converted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from astrobench.data.datasets import galaxy10_decals

    fake = generator.generate(tmp_path / "by_hand")
    root = tmp_path / "root"
    monkeypatch.setattr(galaxy10_decals, "_CHUNK_ROWS", 8)
    real_resize = galaxy10_decals.resize_nchw
    calls: list[int] = []

    def dies_on_second_block(images: np.ndarray, size: int | None) -> np.ndarray:
        calls.append(len(images))
        if len(calls) == 2:
            raise KeyboardInterrupt("test interrupt")
        return real_resize(images, size)

    monkeypatch.setattr(galaxy10_decals, "resize_nchw", dies_on_second_block)
    with pytest.raises(KeyboardInterrupt, match="test interrupt"):
        get_dataset(NAME, root=root, from_path=fake, verify=False, progress=False)
    assert list((root / NAME).glob("*")) == []
    monkeypatch.setattr(galaxy10_decals, "resize_nchw", real_resize)
    path = get_dataset(NAME, root=root, from_path=fake, verify=False, progress=False)
    assert validate_cutout_file(path).n_objects == 20
