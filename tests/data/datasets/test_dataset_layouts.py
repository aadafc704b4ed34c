"""What each conversion must get right beyond the common path: splits, votes, spectra, streaming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.datasets import sdss_photoz
from astrobench.data.get import get_dataset

from .conftest import load_generator


def _convert(name: str, generator: str, tmp_path: Path, **kwargs) -> Path:
    originals = tmp_path / "originals"
    load_generator(generator).generate(originals)
    return get_dataset(
        name, root=tmp_path / "root", from_path=originals, verify=False, progress=False, **kwargs
    )


def test_galaxy_mnist_keeps_the_canonical_split_and_carves_val(tmp_path: Path) -> None:
    with CutoutFile(_convert("galaxy-mnist", "galaxy_mnist", tmp_path)) as cutouts:
        split = cutouts.column("split")
        labels = cutouts.column("label")
    assert (split[20:] == 2).all()  # the test file is the test split, untouched
    assert (split[:20] != 2).all() and (split[:20] == 1).sum() == 4  # 10 % of each class -> val
    assert sorted(labels[:20][split[:20] == 1].tolist()) == [0, 1, 2, 3]
    again = _convert("galaxy-mnist", "galaxy_mnist", tmp_path / "again")
    with CutoutFile(again) as cutouts:
        np.testing.assert_array_equal(cutouts.column("split"), split)  # deterministic


def test_gz2_votes_fractions_labels_and_resize(tmp_path: Path) -> None:
    path = _convert("gz2", "gz2", tmp_path, image_size_px=32)
    original = pd.read_parquet(tmp_path / "originals" / "gz2_train_catalog.parquet")
    with CutoutFile(path) as cutouts:
        assert cutouts.image_shape == (3, 32, 32)
        assert path.name == "gz2_32px.h5"
        columns = cutouts.columns
        for answer in ("smooth", "featured-or-disk", "artifact"):
            assert f"smooth-or-featured-gz2_{answer}" in columns
            assert f"smooth-or-featured-gz2_{answer}_fraction" in columns
        np.testing.assert_array_equal(
            cutouts.column("bar-gz2_yes")[:16], original["bar-gz2_yes"].to_numpy()
        )
        assert "file_loc" not in columns  # the maintainers' absolute paths are dropped
        assert set(cutouts.column("label").tolist()) == set(range(-1, 7))
        assert (cutouts.column("split")[16:] == 2).all()
        assert cutouts.read_image(0).max() <= 1.0


def test_gzd5_computes_missing_fractions_and_skips_missing_jpgs(tmp_path: Path) -> None:
    path = _convert("gz-decals-5", "gz_decals_5", tmp_path, image_size_px=24)
    with CutoutFile(path) as cutouts:
        assert cutouts.attrs["n_missing_images"] == 1
        counts = cutouts.column("bar-dr5_strong")
        total = cutouts.column("bar-dr5_total-votes")
        fraction = cutouts.column("bar-dr5_strong_fraction")
        np.testing.assert_allclose(fraction[total > 0], counts[total > 0] / total[total > 0])
        assert cutouts.column("iauname")[0] == "J074013.60+242930.0"  # row 0 had no jpg


def test_sdss_photoz_streams_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdss_photoz, "_CHUNK_ROWS", 4)  # 13 rows: blocks of 4, 4, 4, 1
    path = _convert("sdss-photoz", "sdss_photoz", tmp_path)
    with np.load(tmp_path / "originals" / "sdss.npz") as npz:
        cube, labels = npz["cube"], npz["labels"]
    with CutoutFile(path) as cutouts:
        assert cutouts.bands == list("ugriz")
        np.testing.assert_array_equal(cutouts.read_images(range(13)), cube.transpose(0, 3, 1, 2))
        np.testing.assert_allclose(cutouts.column("redshift"), labels["z"])
        np.testing.assert_allclose(cutouts.column("mag_r"), labels["dered_petro_r"])


def test_sdss_photoz_url_is_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = sdss_photoz.SdssPhotoz.resources[0]
    assert not resource.url_verified
    monkeypatch.setenv("ASTROBENCH_SDSS_PHOTOZ_URL", "https://mirror.example/sdss.npz")
    assert resource.resolved_url() == "https://mirror.example/sdss.npz"


def test_astroclip_pairs_spectra_redshift_and_split(tmp_path: Path) -> None:
    path = _convert("astroclip-pairs", "astroclip_pairs", tmp_path)
    with CutoutFile(path) as cutouts:
        assert cutouts.image_shape == (3, 152, 152)
        assert cutouts.wavelength_angstrom.shape == (7781,)
        assert cutouts.read_spectrum(0).shape == (7781,)
        split = cutouts.column("split").reshape(10, 5)
        assert (split[:, 4] == 2).all() and (split[:, :4] != 2).all()  # first 80 % of each group
        assert cutouts.column("redshift").min() >= 0
