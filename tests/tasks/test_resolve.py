"""`resolve_task` on a tiny real cutout file: which kind wins, forced kinds, options, headlines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.errors import ConfigError, MissingColumnError, UnknownNameError
from astrobench.tasks import resolve
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.multioutput import MultiOutputTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.regression import RegressionTask
from astrobench.tasks.resolve import resolve_task, target_columns


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 objects of 1 band, 4x4 pixels, with columns of every kind."""
    n = 8
    path = tmp_path_factory.mktemp("resolve") / "tiny.h5"
    write_cutouts(
        path,
        np.zeros((n, 1, 4, 4), dtype=np.float32),
        {
            "object_id": np.arange(n) * 1000,
            "label": np.array([0, 1, 2, 0, 1, 2, -1, 0]),
            "redshift": np.linspace(0.1, 0.8, n),
            "mag_r": np.linspace(18, 21, n),
            "arms": np.array([0, 1, 2, 3, 0, 1, 2, 3]),
            "name": np.array([f"g{i}" for i in range(n)]),
        },
        bands=["r"],
        pixel_scale_arcsec=0.2,
        label_names=["s", "e", "m"],
        survey="test",
    )
    return path


def test_target_columns_are_split_on_commas_and_trimmed() -> None:
    assert target_columns("redshift") == ("redshift",)
    assert target_columns(" redshift , mag_r,,") == ("redshift", "mag_r")
    for empty in ("", " , ,"):
        with pytest.raises(ConfigError, match="the target names no column") as error:
            target_columns(empty)
        assert error.value.message == "the target names no column"
        assert error.value.hint == "e.g. --target label or --target redshift"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("label", ClassificationTask(("label",), n_classes=3, class_names=("s", "e", "m"))),
        ("arms", ClassificationTask(("arms",), n_classes=4)),
        ("redshift", PhotozTask(("redshift",))),
        ("mag_r", RegressionTask(("mag_r",))),
        ("redshift,mag_r", MultiOutputTask(("redshift", "mag_r"))),
        ("label,redshift", MultiOutputTask(("label", "redshift"))),
    ],
)
def test_the_strongest_claim_wins(tiny: Path, target: str, expected: object) -> None:
    with CutoutFile(tiny) as cutouts:
        assert resolve_task(cutouts, target) == expected


def test_a_kind_can_be_forced_and_options_reach_the_task(tiny: Path) -> None:
    with CutoutFile(tiny) as cutouts:
        forced = resolve_task(cutouts, "arms", "regression", {"headline": "mae"})
        assert forced == RegressionTask(("arms",), "mae")
        photoz = resolve_task(cutouts, "mag_r", "photoz", {"outlier_thresholds": (0.1,)})
        assert photoz == PhotozTask(("mag_r",), outlier_thresholds=(0.1,))
        with pytest.raises(UnknownNameError, match="nokind"):
            resolve_task(cutouts, "mag_r", "nokind")


def test_missing_columns_are_named(tiny: Path) -> None:
    with CutoutFile(tiny) as cutouts:
        with pytest.raises(MissingColumnError, match="no catalog column 'nope'"):
            resolve_task(cutouts, "nope")
        with pytest.raises(MissingColumnError, match="no catalog column 'nope'"):
            resolve_task(cutouts, "nope", "regression")
        with pytest.raises(MissingColumnError, match="'nope'"):
            resolve_task(cutouts, "mag_r,nope")


def test_unknown_options_are_refused_listing_the_known_ones(tiny: Path) -> None:
    with CutoutFile(tiny) as cutouts:
        with pytest.raises(ConfigError, match="photoz tasks have no option 'colour'") as error:
            resolve_task(cutouts, "redshift", options={"zeta": 1, "colour": "red"})
        assert error.value.hint == "options of photoz: headline, outlier_thresholds"
        with pytest.raises(ConfigError, match="no option 'n_classes'"):
            resolve_task(cutouts, "mag_r", options={"n_classes": 3})
        # class-level settings (kind, lower_is_better, ...) are not options either
        with pytest.raises(ConfigError, match="regression tasks have no option 'kind'"):
            resolve_task(cutouts, "mag_r", options={"kind": "photoz"})


def test_a_headline_must_be_a_metric_of_the_task(tiny: Path) -> None:
    with CutoutFile(tiny) as cutouts:
        assert resolve_task(cutouts, "mag_r", options={"headline": "mae"}).headline == "mae"
        # posterior metrics exist for value tasks (computed where a protocol gives samples)
        assert resolve_task(cutouts, "mag_r", options={"headline": "crps"}).headline == "crps"
        assert resolve_task(cutouts, "redshift", options={"headline": "nll"}).headline == "nll"
        multi = resolve_task(cutouts, "redshift,mag_r", options={"headline": "mag_r/mae"})
        assert multi.headline == "mag_r/mae"
        with pytest.raises(ConfigError, match="regression tasks have no metric 'acc'") as error:
            resolve_task(cutouts, "mag_r", options={"headline": "acc"})
        assert error.value.hint.startswith("use one of bias, coverage68, coverage95, crps,")
        with pytest.raises(ConfigError, match="no metric 'crps'"):
            resolve_task(cutouts, "label", options={"headline": "crps"})


def test_no_claim_at_all_is_a_config_error(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When every kind declines present columns, the error names the columns and --task."""
    monkeypatch.setattr(RegressionTask, "claims", classmethod(lambda cls, c, cols: 0))
    monkeypatch.setattr(ClassificationTask, "claims", classmethod(lambda cls, c, cols: 0))
    monkeypatch.setattr(MultiOutputTask, "claims", classmethod(lambda cls, c, cols: 0))
    with CutoutFile(tiny) as cutouts:
        with pytest.raises(ConfigError, match="no task kind can predict name") as error:
            resolve_task(cutouts, "name")
        assert error.value.message == "no task kind can predict name"
        assert error.value.hint == "name a --task kind"
        with pytest.raises(ConfigError, match="name,object_id") as error:
            resolve_task(cutouts, "name,object_id")  # several columns: joined by commas
        assert error.value.message == "no task kind can predict name,object_id"
        assert resolve._claim("regression", cutouts, ("nope",)) == 0
        assert resolve._claim("photoz", cutouts, ("redshift",)) == 20


def test_a_per_class_headline_of_a_class_absent_from_the_first_rows_is_accepted(
    tmp_path: Path,
) -> None:
    path = write_cutouts(
        tmp_path / "late_class.h5",
        np.zeros((6, 1, 4, 4), dtype=np.float32),
        {"object_id": np.arange(6), "label": np.array([0, 0, 0, 0, 0, 1])},
        bands=["r"],
        pixel_scale_arcsec=0.2,
        label_names=["spiral", "elliptical"],
        survey="test",
    )
    with CutoutFile(path) as cutouts:
        task = resolve_task(cutouts, "label", options={"headline": "f1/elliptical"})
        assert task.headline == "f1/elliptical"
        with pytest.raises(ConfigError, match="no metric 'f1/lenticular'"):
            resolve_task(cutouts, "label", options={"headline": "f1/lenticular"})
