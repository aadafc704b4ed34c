"""Magnitudes as model inputs: read in order, checked for missing columns, NaN and sentinels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.magnitudes import (
    ImageMagnitudeDataset,
    magnitude_columns,
    magnitude_stats,
    read_magnitudes,
)
from astrobench.errors import AstrobenchError, ConfigError, DataError, MissingColumnError


def _file(tmp_path: Path, mag_g: np.ndarray) -> Path:
    n = mag_g.size
    return write_cutouts(
        tmp_path / "m.h5",
        np.arange(n * 2 * 4 * 4, dtype=np.float32).reshape(n, 2, 4, 4),
        {
            "object_id": np.arange(n),
            "redshift": np.linspace(0.1, 0.2, n),
            "mag_g": mag_g,
            "mag_r": np.arange(n, dtype=np.float64) + 15.0,
        },
        bands=["g", "r"],
        pixel_scale_arcsec=1.0,
    )


def test_samples_carry_image_magnitudes_and_target(tmp_path: Path) -> None:
    path = _file(tmp_path, np.array([18.0, 19.0, 20.0, 21.0]))
    dataset = ImageMagnitudeDataset(path, [3, 1], ["mag_r", "mag_g"], targets=["redshift"])
    sample = dataset[0]
    np.testing.assert_array_equal(sample["magnitudes"].numpy(), [18.0, 21.0])
    assert sample["index"] == 3 and sample["image"].shape == (2, 4, 4)
    assert float(sample["image"][0, 0, 0]) == 3 * 32  # object 3's first pixel
    assert float(sample["redshift"]) == pytest.approx(0.2)
    with CutoutFile(path) as cutouts:
        assert magnitude_columns("auto", cutouts) == ["mag_g", "mag_r"]
        assert magnitude_columns(" mag_r , mag_g", cutouts) == ["mag_r", "mag_g"]


@pytest.mark.parametrize("bad", [np.nan, -99.0, 99.0, np.inf, -9999.0])
def test_nan_and_sentinel_magnitudes_are_one_line_errors(tmp_path: Path, bad: float) -> None:
    path = _file(tmp_path, np.array([18.0, bad, 20.0, 21.0]))
    with CutoutFile(path) as cutouts:
        with pytest.raises(DataError, match=r"mag_g holds 1 NaN or sentinel .* object 1") as info:
            read_magnitudes(cutouts, ["mag_r", "mag_g"])
        assert "\n" not in info.value.one_line()
        # objects not used are not checked
        assert read_magnitudes(cutouts, ["mag_g"], np.array([0, 2])).tolist() == [[18.0], [20.0]]


def test_missing_or_repeated_columns(tmp_path: Path) -> None:
    path = _file(tmp_path, np.array([18.0, 19.0]))
    with CutoutFile(path) as cutouts:
        with pytest.raises(MissingColumnError, match=r"no magnitude column 'mag_u'.*mag_g, mag_r"):
            read_magnitudes(cutouts, ["mag_u"])
        with pytest.raises(ConfigError, match="repeat"):
            magnitude_columns("mag_g,mag_g", cutouts)
    assert issubclass(MissingColumnError, AstrobenchError)


def test_stats_are_per_column_and_finite_for_constants() -> None:
    mean, std = magnitude_stats(np.array([[18.0, 5.0], [20.0, 5.0]]))
    assert mean == [19.0, 5.0] and std == [1.0, 1.0]
