"""`describe_cutouts`: what `astrobench data info` shows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.info import describe_cutouts, format_description


def test_description_of_small_file(small_cutouts: Path) -> None:
    info = describe_cutouts(small_cutouts)
    json.dumps(info)  # JSON-able
    assert info["n_objects"] == 60
    assert info["bands"] == list("ugriz")
    assert info["image_shape"] == [5, 16, 16]
    assert info["labels"] == [
        {"label": 0, "name": "a", "count": 20},
        {"label": 1, "name": "b", "count": 20},
        {"label": 2, "name": "c", "count": 20},
    ]
    assert 0.01 <= info["redshift"]["min"] < info["redshift"]["max"] <= 0.4
    assert info["has_spectra"] is False and info["splits"] is None
    text = format_description(info)
    assert "objects:     60" in text and "u,g,r,i,z" in text and "  b" in text


def test_unlabelled_objects_and_splits_are_counted(tmp_path: Path) -> None:
    path = write_cutouts(
        tmp_path / "x.h5",
        np.zeros((4, 1, 2, 2)),
        {"object_id": np.arange(4), "label": [0, -1, 0, -1], "split": [0, 0, 1, 2]},
        bands=["r"],
        pixel_scale_arcsec=1.0,
        label_names=["star"],
        license="CC-BY-4.0",
    )
    info = describe_cutouts(path)
    assert {"label": -1, "name": "none", "count": 2} in info["labels"]
    assert info["splits"] == {"train": 2, "val": 1, "test": 1}
    assert info["license"] == "CC-BY-4.0"
