"""Photo-z metrics on hand-made cases with hand-computed values, and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from astrobench.errors import ConfigError
from astrobench.metrics import photoz


@pytest.fixture
def hand_case() -> tuple[np.ndarray, np.ndarray]:
    # z = 0, 1, 0, 1, 0 and Δz chosen as 0.1, -0.05, 0.0, 0.2, -0.3
    z_true = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    dz = np.array([0.1, -0.05, 0.0, 0.2, -0.3])
    return z_true, z_true + dz * (1 + z_true)


def test_delta_z_is_normalised_by_one_plus_z(hand_case: tuple[np.ndarray, np.ndarray]) -> None:
    np.testing.assert_allclose(photoz.delta_z(*hand_case), [0.1, -0.05, 0.0, 0.2, -0.3])


def test_hand_computed_values(hand_case: tuple[np.ndarray, np.ndarray]) -> None:
    z_true, z_pred = hand_case
    # mean Δz = (0.1 - 0.05 + 0 + 0.2 - 0.3) / 5 = -0.01
    assert photoz.bias(z_true, z_pred) == pytest.approx(-0.01)
    # median Δz = 0; |Δz - 0| sorted = 0, .05, .1, .2, .3 -> median 0.1
    assert photoz.sigma_nmad(z_true, z_pred) == pytest.approx(0.14826)
    assert photoz.astromae_precision(z_true, z_pred) == pytest.approx(0.148)
    # |Δz| > 0.15: 0.2 and 0.3 -> 2 of 5
    assert photoz.outlier_fraction(z_true, z_pred) == pytest.approx(0.4)
    assert photoz.outlier_fraction(z_true, z_pred, threshold=0.05) == pytest.approx(0.6)


def test_nmad_centres_on_the_median_but_precision_does_not() -> None:
    z_true = np.zeros(4)
    z_pred = np.array([0.1, 0.1, 0.1, 0.1])  # constant offset
    assert photoz.sigma_nmad(z_true, z_pred) == pytest.approx(0.0)
    assert photoz.astromae_precision(z_true, z_pred) == pytest.approx(0.148)


def test_sigma68_of_a_gaussian_equals_its_sigma() -> None:
    rng = np.random.default_rng(0)
    z_true = np.zeros(200_000)
    z_pred = rng.normal(0, 0.03, z_true.size)
    assert photoz.sigma68(z_true, z_pred) == pytest.approx(0.03, rel=0.01)
    assert photoz.sigma_nmad(z_true, z_pred) == pytest.approx(0.03, rel=0.01)


def test_regression_parts_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    z_true = rng.uniform(0.01, 0.4, 300)
    z_pred = z_true + rng.normal(0, 0.02, 300)
    scores = photoz.photoz_metrics(z_true, z_pred, outlier_thresholds=(0.15, 0.03))
    assert scores["mse"] == pytest.approx(sk.mean_squared_error(z_true, z_pred))
    assert scores["mae"] == pytest.approx(sk.mean_absolute_error(z_true, z_pred))
    assert scores["r2"] == pytest.approx(sk.r2_score(z_true, z_pred))
    dz = (z_pred - z_true) / (1 + z_true)
    assert scores["outlier_fraction_0.03"] == pytest.approx(np.mean(np.abs(dz) > 0.03))
    assert scores["outlier_fraction_0.15"] == pytest.approx(np.mean(np.abs(dz) > 0.15))
    assert "outlier_fraction" not in scores and "outlier_fraction_0.05" not in scores


def test_objects_exactly_on_a_threshold_are_not_outliers() -> None:
    # z = 0, so Δz = ẑ exactly: 0.05 and 0.15 sit on the thresholds, the others just past them.
    z_true = np.zeros(6)
    z_pred = np.array([0.05, -0.05, 0.15, -0.15, 0.0500001, 0.1500001])
    scores = photoz.photoz_metrics(z_true, z_pred)
    # > 0.05: 0.15, -0.15, 0.0500001, 0.1500001 (not ±0.05) -> 4 of 6
    assert scores["outlier_fraction_0.05"] == pytest.approx(4 / 6)
    # > 0.15: only 0.1500001 -> 1 of 6
    assert scores["outlier_fraction_0.15"] == pytest.approx(1 / 6)


def test_default_thresholds_are_five_and_fifteen_percent(
    hand_case: tuple[np.ndarray, np.ndarray],
) -> None:
    scores = photoz.photoz_metrics(*hand_case)
    # |Δz| = 0.1, 0.05, 0, 0.2, 0.3: > 0.05 -> 3 of 5; > 0.15 -> 2 of 5
    assert scores["outlier_fraction_0.05"] == pytest.approx(0.6)
    assert scores["outlier_fraction_0.15"] == pytest.approx(0.4)


@pytest.mark.parametrize("thresholds", [(), (0.0,), (0.15, -0.1), (float("nan"),)])
def test_bad_thresholds_are_one_config_error(thresholds: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="outlier thresholds must be finite numbers > 0") as e:
        photoz.photoz_metrics(np.zeros(3), np.zeros(3), outlier_thresholds=thresholds)
    assert e.value.hint == "e.g. outlier_thresholds: [0.05, 0.15]"


def test_outlier_fractions_reads_keys_in_threshold_order_and_the_legacy_key() -> None:
    found = photoz.outlier_fractions(
        {"outlier_fraction_0.15": 0.2, "outlier_fraction_0.05": 0.5, "bias": 0.0}
    )
    assert list(found.items()) == [(0.05, 0.5), (0.15, 0.2)]
    assert photoz.outlier_fractions({"outlier_fraction": 0.3}) == {0.15: 0.3}
    assert photoz.outlier_key(0.05) == "outlier_fraction_0.05"


def test_an_object_exactly_on_the_threshold_is_not_an_outlier() -> None:
    # z = 0 makes Δz = ẑ exactly, so |Δz| = 0.15 is on the threshold without rounding error.
    z_true = np.zeros(4)
    z_pred = np.array([0.15, -0.15, 0.1500001, 0.0])
    assert photoz.delta_z(z_true, z_pred)[0] == 0.15
    assert photoz.outlier_fraction(z_true, z_pred) == pytest.approx(0.25)  # only 0.1500001
    assert photoz.outlier_fraction(z_true, z_pred, threshold=0.1) == pytest.approx(0.75)
    assert photoz.photoz_metrics(z_true, z_pred)["outlier_fraction_0.15"] == pytest.approx(0.25)


def test_photoz_metrics_values_match_the_functions(hand_case) -> None:
    z_true, z_pred = hand_case
    scores = photoz.photoz_metrics(z_true, z_pred)
    expected = {
        "bias": -0.01,
        "sigma_nmad": 0.14826,
        "outlier_fraction_0.05": 0.6,
        "outlier_fraction_0.15": 0.4,
        "precision": 0.148,
        "mse": np.mean((z_pred - z_true) ** 2),
        "mae": np.mean(np.abs(z_pred - z_true)),
        "r2": sk.r2_score(z_true, z_pred),
        # Δz sorted: -0.3 -0.05 0 0.1 0.2; NumPy's linear percentiles at 15.865 and 84.135
        "sigma68": (
            np.percentile([0.1, -0.05, 0, 0.2, -0.3], 84.135)
            - np.percentile([0.1, -0.05, 0, 0.2, -0.3], 15.865)
        )
        / 2,
    }
    assert set(scores) == set(expected)
    for name, value in expected.items():
        assert scores[name] == pytest.approx(value), name


def test_outlier_fractions_skips_unparsable_keys_and_reads_the_legacy_key_alone() -> None:
    found = photoz.outlier_fractions(
        {"outlier_fraction_x": 9.0, "outlier_fraction_0.05": 0.5, "outlier_fraction_0.15": 0.2}
    )
    assert found == {0.05: 0.5, 0.15: 0.2}  # a key that is not a number is passed over
    assert photoz.outlier_fractions({"outlier_fraction": 0.3}) == {0.15: 0.3}
    assert photoz.outlier_fractions({"outlier_fraction_0.05": 0.5}) == {0.05: 0.5}  # no legacy
    both = {"outlier_fraction": 0.3, "outlier_fraction_0.15": 0.2}
    assert photoz.outlier_fractions(both) == {0.15: 0.2}  # the per-threshold key wins
