"""Every registered dataset: its fake original downloads (local server), verifies and converts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.get import get_dataset
from astrobench.data.validate import validate_cutout_file
from astrobench.errors import ChecksumError
from astrobench.registry import DATASETS

from .conftest import load_generator

# name -> (generator folder, generator kwargs, objects expected in the converted file)
FAKES: dict[str, tuple[str, dict[str, Any], int]] = {
    "galaxy10-decals": ("galaxy10_decals", {}, 20),
    "galaxy10-sdss": ("galaxy10_sdss", {}, 20),
    "galaxy-mnist": ("galaxy_mnist", {}, 28),
    "galaxy-mnist-224": ("galaxy_mnist", {"size_px": 224}, 28),
    "gz2": ("gz2", {}, 20),
    "gz-decals-5": ("gz_decals_5", {}, 15),  # one catalog row has no jpg
    "sdss-photoz": ("sdss_photoz", {}, 13),
    "astroclip-pairs": ("astroclip_pairs", {}, 50),
}


def test_every_registered_dataset_has_a_fake() -> None:
    assert sorted(FAKES) == DATASETS.names()


@pytest.mark.parametrize("name", sorted(FAKES))
def test_fake_downloads_and_converts(name: str, tmp_path: Path, served, point_at_fakes) -> None:
    folder, url = served
    generator, kwargs, n_expected = FAKES[name]
    load_generator(generator).generate(folder, **kwargs)
    point_at_fakes(name, folder, url)
    dataset = DATASETS.get(name)
    path = get_dataset(name, root=tmp_path, progress=False)
    report = validate_cutout_file(path, nan_policy="mask")
    assert report.n_objects == n_expected
    with CutoutFile(path, nan_policy="mask") as cutouts:
        assert cutouts.bands == list(dataset.bands)
        assert cutouts.attrs["license"] == dataset.license
        assert cutouts.attrs["citation"] == dataset.citation
        if dataset.label_names:
            assert cutouts.label_names == list(dataset.label_names)
        assert len(np.unique(cutouts.column("object_id"))) == n_expected
    assert sorted(p.name for p in (tmp_path / name / "raw").iterdir()) == sorted(
        r.filename for r in dataset.resources
    )


@pytest.mark.parametrize("name", ["galaxy-mnist", "gz2"])
def test_multi_file_dataset_rejects_a_wrong_checksum(
    name: str, tmp_path: Path, served, point_at_fakes
) -> None:
    folder, url = served
    generator, kwargs, _ = FAKES[name]
    load_generator(generator).generate(folder, **kwargs)
    point_at_fakes(name, folder, url, wrong_checksum=True)
    with pytest.raises(
        ChecksumError, match=r"has md5 [0-9a-f]{32}, expected 0{32}; the file was discarded"
    ):
        get_dataset(name, root=tmp_path, progress=False)
    assert not list(tmp_path.rglob("*.h5"))
