"""Task kinds: inference, forcing, scoring with hand-computed values, description round trips.

Tests that hold for every kind run over the TASKS registry, so a new kind is tested without
editing a list here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError, MissingColumnError
from astrobench.registry import TASKS
from astrobench.tasks.base import ClassOutput, ValueOutput, task_from_description
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.resolve import resolve_task

TARGET_FOR_KIND = {
    "classification": "label",
    "regression": "mag_r",
    "photoz": "redshift",
    "multioutput": "redshift,mag_r",
}


def kinds() -> list[str]:
    return [k for k in TASKS.names() if k in TARGET_FOR_KIND]


def test_every_registered_kind_with_a_catalog_target_is_covered() -> None:
    """A kind that reads plain catalog columns must be added to TARGET_FOR_KIND to be tested."""
    catalog_kinds = {"classification", "regression", "photoz"}
    assert catalog_kinds <= set(TASKS.names())


@pytest.mark.parametrize("kind", kinds())
def test_each_kind_resolves_describes_and_rebuilds(small_cutouts: Path, kind: str) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        task = resolve_task(cutouts, TARGET_FOR_KIND[kind], kind)
        targets = task.read_targets(cutouts)
    assert task.kind == kind
    assert task_from_description(task.describe()) == task
    assert len(targets) == 60
    scores = task.score(Predictions(targets, targets))
    assert task.headline_metric in scores
    assert set(task.interval_metrics) <= set(scores)
    assert set(task.table_metrics) <= set(scores)


@pytest.mark.parametrize(
    ("target", "kind"),
    [("label", "classification"), ("redshift", "photoz"), ("mag_r", "regression")],
)  # fmt: skip
def test_inference_picks_the_natural_kind(small_cutouts: Path, target: str, kind: str) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        assert resolve_task(cutouts, target).kind == kind


def test_an_integer_column_can_be_forced_to_regression(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        task = resolve_task(cutouts, "label", "regression")
        assert isinstance(task.output, ValueOutput)
        assert task.read_targets(cutouts).dtype == np.float64
        assert isinstance(resolve_task(cutouts, "label").output, ClassOutput)


def test_bad_targets_are_one_line_errors(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        with pytest.raises(MissingColumnError, match="nope"):
            resolve_task(cutouts, "redshift,nope")
        with pytest.raises(ConfigError, match="not class indices"):
            resolve_task(cutouts, "redshift", "classification")
        with pytest.raises(ConfigError, match="no metric 'accurcy'"):
            resolve_task(cutouts, "label", options={"headline": "accurcy"})
        with pytest.raises(ConfigError, match="no option 'colour'"):
            resolve_task(cutouts, "label", options={"colour": "red"})


def test_classification_scores_are_the_hand_computed_ones() -> None:
    task = ClassificationTask(("label",), n_classes=3, class_names=("spiral", "elliptical", "x"))
    y_true, y_pred = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])
    probs = np.eye(3)[y_pred] * 0.8 + 0.2 / 3
    scores = task.score(Predictions(y_true, y_pred, probs))
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["f1/spiral"] == pytest.approx(2 / 3)  # precision 1, recall 1/2
    assert scores["f1/elliptical"] == pytest.approx(2 / 3)  # precision 1/2, recall 1
    assert scores["log_loss"] == pytest.approx(
        -np.mean(np.log([0.8 + 0.2 / 3, 0.2 / 3, 0.8 + 0.2 / 3, 0.8 + 0.2 / 3]))
    )


def test_photoz_outliers_are_strictly_above_each_threshold() -> None:
    task = PhotozTask(("redshift",), outlier_thresholds=(0.05, 0.15))
    z_true = np.zeros(4)
    z_pred = np.array([0.05, 0.0500001, 0.15, 0.2])  # Δz/(1+z) = z_pred here
    scores = task.score(Predictions(z_true, z_pred))
    assert scores["outlier_fraction_0.05"] == pytest.approx(3 / 4)  # 0.05 itself is not one
    assert scores["outlier_fraction_0.15"] == pytest.approx(1 / 4)  # 0.15 itself is not one
    assert not task.metric_higher_is_better("outlier_fraction_0.05")
    assert not task.higher_is_better  # σ_NMAD
