"""Each task kind's pieces on tiny arrays, checked by value: claims, targets, masks, strata,
heads, losses, decoding, selection scores, metric directions and descriptions.

These run in milliseconds, so mutation testing (`make mutation`) reaches every method of
tasks/ without training a model. Values are compared with independent NumPy / PyTorch
computations, not with the code under test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from astrobench.data.splits import strata_for
from astrobench.errors import ConfigError
from astrobench.tasks.base import Task, ValueOutput, task_from_description
from astrobench.tasks.classification import ClassificationTask
from astrobench.tasks.multioutput import MultiOutputTask
from astrobench.tasks.photoz import PhotozTask
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.regression import RegressionTask

from .fake_cutouts import FakeCutouts

# ----- base ---------------------------------------------------------------------------------


def test_identity_properties_of_a_task() -> None:
    task = MultiOutputTask(("redshift", "log_mstar"), headline="mae_std")
    assert task.target == "redshift,log_mstar"
    assert task.headline_metric == "mae_std" and not task.higher_is_better
    assert MultiOutputTask(("a", "b")).headline_metric == "r2"
    assert MultiOutputTask(("a", "b")).higher_is_better
    # per-column names are judged by their last part only
    regression = RegressionTask(("mass",))
    assert not regression.metric_higher_is_better("mass/mse")
    assert not regression.metric_higher_is_better("a/b/mae")
    assert regression.metric_higher_is_better("a/b/r2")
    assert regression.metric_higher_is_better("mse/r2")


def test_interval_and_table_metrics_put_the_headline_first_without_repeats() -> None:
    assert ClassificationTask(("label",)).interval_metrics == ("accuracy", "f1_macro")
    task = ClassificationTask(("label",), headline="f1_macro")
    assert task.interval_metrics == ("f1_macro", "accuracy")
    assert task.table_metrics == ("f1_macro", "balanced_accuracy")
    assert ClassificationTask(("label",)).table_metrics == (
        "accuracy",
        "f1_macro",
        "balanced_accuracy",
    )
    assert RegressionTask(("m",), headline="mae").interval_metrics == ("mae", "r2", "rmse")
    assert RegressionTask(("m",)).table_metrics == ("r2", "mse", "mae")


def test_describe_is_plain_json_and_rebuilds_the_task() -> None:
    task = ClassificationTask(("label",), n_classes=2, class_names=("s", "e"), headline="f1_macro")
    assert task.describe() == {
        "kind": "classification",
        "columns": ["label"],
        "headline": "f1_macro",
        "n_classes": 2,
        "class_names": ["s", "e"],
        "headline_metric": "f1_macro",
        "higher_is_better": True,
    }
    rebuilt = task_from_description(task.describe())
    assert rebuilt == task and isinstance(rebuilt.columns, tuple)
    photoz = PhotozTask(("redshift",), outlier_thresholds=(0.1,))
    assert photoz.describe()["higher_is_better"] is False
    assert task_from_description(photoz.describe()) == photoz


def test_the_base_class_defaults() -> None:
    cutouts = FakeCutouts({"a": [1.0, 2.0]})
    assert Task.required_columns(("a", "b")) == ("a", "b")
    assert Task.expand_target(cutouts, ("a",)) is None  # type: ignore[arg-type]
    assert Task.claims(cutouts, ("a",)) == 0  # type: ignore[arg-type]
    built = Task.from_file(cutouts, ("a",), {"headline": "h"})  # type: ignore[arg-type]
    assert built == Task(("a",), "h") and type(built) is Task
    task = Task(("a",))
    assert task.figures(Predictions(np.zeros(2), np.zeros(2)), "x", "y") == []
    assert task.compare_figures({"m": {"r2": 1.0}}, "x") == []


def test_the_base_class_says_which_kind_lacks_which_method() -> None:
    task = Task(("a",))
    for name, call in (
        ("output", lambda: task.output),
        (r"make_loss\(\)", lambda: task.make_loss(np.zeros(2), {})),
        (r"decode\(\)", lambda: task.decode(np.zeros((2, 1)), None)),
        (r"selection_score\(\)", lambda: task.selection_score(np.zeros(2), np.zeros(2))),
        (r"score\(\)", lambda: task.score(Predictions(np.zeros(2), np.zeros(2)))),
    ):
        with pytest.raises(NotImplementedError, match=f"^Task does not define {name}$"):
            call()


def test_targets_masks_and_strata_of_value_tasks() -> None:
    cutouts = FakeCutouts({"a": [1, 2, 3, 4], "b": [0.5, np.nan, 1.5, 2.5]})
    single = RegressionTask(("a",)).read_targets(cutouts)  # type: ignore[arg-type]
    assert single.dtype == np.float64 and single.shape == (4,)
    np.testing.assert_array_equal(single, [1, 2, 3, 4])
    both = MultiOutputTask(("a", "b")).read_targets(cutouts)  # type: ignore[arg-type]
    assert both.shape == (4, 2)
    np.testing.assert_array_equal(both[:, 0], [1, 2, 3, 4])
    np.testing.assert_array_equal(both[[0, 2, 3], 1], [0.5, 1.5, 2.5])
    task = MultiOutputTask(("a", "b"))
    mask = task.labelled_mask(both)
    assert mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, [True, False, True, True])  # one NaN column drops a row
    np.testing.assert_array_equal(
        RegressionTask(("b",)).labelled_mask(np.array([0.5, np.nan, np.inf, 2.0])),
        [True, False, False, True],
    )
    missing = np.array([1.5, None, 2], dtype=object)  # missing values of a Python list: None
    np.testing.assert_array_equal(RegressionTask(("a",)).labelled_mask(missing), [1, 0, 1])
    values = np.stack([np.linspace(0, 1, 40), np.linspace(5, -5, 40)], axis=1)
    np.testing.assert_array_equal(task.strata(values), strata_for(values[:, 0]))
    np.testing.assert_array_equal(
        RegressionTask(("a",)).strata(values[:, 1]), strata_for(values[:, 1])
    )


@pytest.mark.parametrize(
    ("task", "outputs"),
    [
        (ClassificationTask(("label",), n_classes=4), 4),
        (RegressionTask(("m",)), 1),
        (MultiOutputTask(("a", "b", "c")), 3),
    ],
)
def test_build_head_has_as_many_outputs_as_the_task_needs(task: Task, outputs: int) -> None:
    head = task.build_head(7)
    assert isinstance(head, torch.nn.Linear)
    assert (head.in_features, head.out_features) == (7, outputs)
    with_dropout = task.build_head(7, dropout=0.25)
    dropout, linear = list(with_dropout.children())
    assert isinstance(dropout, torch.nn.Dropout) and dropout.p == 0.25
    assert linear.out_features == outputs


# ----- regression -------------------------------------------------------------------------


def test_regression_claims_and_from_file() -> None:
    cutouts = FakeCutouts(
        {
            "mass": np.array([1.5, 2.5]),
            "n": np.array([1, 2]),
            "flag": np.array([True, False]),
            "name": np.array(["a", "b"], dtype=object),
        }
    )
    assert RegressionTask.claims(cutouts, ("mass",)) == 1  # type: ignore[arg-type]
    assert RegressionTask.claims(cutouts, ("mass", "n")) == 0  # type: ignore[arg-type]
    for column in ("mass", "n", "flag"):
        task = RegressionTask.from_file(cutouts, (column,), {"headline": "mae"})  # type: ignore[arg-type]
        assert task == RegressionTask((column,), "mae")
    with pytest.raises(ConfigError, match="regression predicts one column, got mass,n") as error:
        RegressionTask.from_file(cutouts, ("mass", "n"), {})  # type: ignore[arg-type]
    assert error.value.hint == "several columns are a multi-output task: --task multioutput"
    with pytest.raises(ConfigError, match="'name' holds object values, not numbers") as error:
        RegressionTask.from_file(cutouts, ("name",), {})  # type: ignore[arg-type]
    assert error.value.hint == "predict a numeric catalog column"
    with pytest.raises(ConfigError, match="photoz predicts one column"):
        PhotozTask.from_file(cutouts, ("mass", "n"), {})  # type: ignore[arg-type]
    assert RegressionTask(("m",)).output == ValueOutput(1)


def test_regression_loss_standardises_with_the_training_rows() -> None:
    train = np.array([1.0, 3.0, 5.0, 7.0])
    loss = RegressionTask(("m",)).make_loss(train, {})
    assert loss.loss_name == "mse"
    np.testing.assert_allclose(loss.mean, [4.0])
    np.testing.assert_allclose(loss.std, [np.std(train)])
    huber = MultiOutputTask(("a", "b")).make_loss(
        np.array([[0.0, 10.0], [2.0, 10.0]]), {"loss": "huber"}
    )
    assert huber.loss_name == "huber"
    np.testing.assert_allclose(huber.mean, [1.0, 10.0])
    np.testing.assert_allclose(huber.std, [1.0, 1e-12])  # a constant column: no division by 0
    wide = (1000.0 + np.random.default_rng(0).normal(size=1001)).astype(np.float32)
    from_float32 = RegressionTask(("m",)).make_loss(wide, {})  # statistics in double precision
    np.testing.assert_allclose(from_float32.mean, [wide.astype(np.float64).mean()], rtol=1e-13)
    np.testing.assert_allclose(from_float32.std, [wide.astype(np.float64).std()], rtol=1e-11)
    output = torch.tensor([[0.5], [-0.5], [0.0], [1.0]])
    expected = np.mean((output.numpy()[:, 0] - (train - 4.0) / np.std(train)) ** 2)
    assert float(loss(output, torch.tensor(train))) == pytest.approx(expected, rel=1e-6)


def test_regression_decoding_returns_column_units() -> None:
    loss = RegressionTask(("m",)).make_loss(np.array([1.0, 3.0]), {})  # mean 2, std 1
    y_pred, probabilities = RegressionTask(("m",)).decode(np.array([[0.0], [1.5], [-2.0]]), loss)
    assert probabilities is None and y_pred.shape == (3,)
    np.testing.assert_allclose(y_pred, [2.0, 3.5, 0.0], atol=1e-9)
    task = MultiOutputTask(("a", "b"))
    loss2 = task.make_loss(np.array([[0.0, 10.0], [2.0, 30.0]]), {})  # means 1, 20; stds 1, 10
    values, _ = task.decode(np.array([[1.0, -1.0], [0.0, 2.0]]), loss2)
    np.testing.assert_allclose(values, [[2.0, 10.0], [1.0, 40.0]])


def test_regression_selection_score_is_minus_the_mse() -> None:
    task = RegressionTask(("m",))
    y_true = np.array([1.0, 2.0, 4.0])
    grid = np.array([[1.0, 2.0, 4.0], [2.0, 2.0, 2.0], [1.0, 3.0, 4.0]])
    np.testing.assert_allclose(task.selection_score(y_true, grid), [0.0, -5 / 3, -1 / 3])
    multi = MultiOutputTask(("a", "b"))
    truth = np.array([[0.0, 0.0], [2.0, 20.0]])  # variances 1 and 100
    pred = truth + np.array([[1.0, 0.0], [0.0, 10.0]])
    # (1 / 1 + 100 / 100) / 4 rows-and-columns
    assert multi.selection_score(truth, pred) == pytest.approx(-0.5)
    assert task.selection_score(y_true, grid[1]) == pytest.approx(-5 / 3)  # no grid axis
    flat = np.array([[0.0, 5.0], [2.0, 5.0]])  # a constant column: its errors weigh 1e12
    assert multi.selection_score(flat, flat + np.array([0.0, 1.0])) == pytest.approx(-0.5e12)
    # float32 predictions are scored in double precision
    rng = np.random.default_rng(0)
    t32 = (1000 + rng.normal(size=(50, 2))).astype(np.float32)
    p32 = (t32 + rng.normal(size=(50, 2))).astype(np.float32)
    t64, p64 = t32.astype(np.float64), p32.astype(np.float64)
    expected = -np.mean((p64 - t64) ** 2 / (t64.var(axis=0) + 1e-12))
    assert multi.selection_score(t32, p32) == pytest.approx(expected, rel=1e-12)
    one = -np.mean((p64[:, 0] - t64[:, 0]) ** 2)
    assert task.selection_score(t32[:, 0], p32[:, 0]) == pytest.approx(one, rel=1e-12)


def test_value_scores_gain_posterior_metrics_only_with_samples() -> None:
    from astrobench.tasks.posterior_scores import posterior_scores

    rng = np.random.default_rng(0)
    y = rng.normal(size=30)
    samples = (y + rng.normal(size=30))[:, None, None] + rng.normal(size=(30, 50, 1))
    for task in (RegressionTask(("m",)), PhotozTask(("redshift",))):
        assert "coverage68" not in task.score(Predictions(y, y))
        with_samples = Predictions(y, y, samples=samples)
        scores = task.score(with_samples)
        assert scores["r2"] == 1.0
        expected = posterior_scores(task.columns, with_samples)
        assert expected and {k: scores[k] for k in expected} == expected


# ----- photo-z ------------------------------------------------------------------------------


def test_photoz_claims_directions_and_metric_lists() -> None:
    cutouts = FakeCutouts({"redshift": [0.1]})
    assert PhotozTask.claims(cutouts, ("redshift",)) == 20  # type: ignore[arg-type]
    assert PhotozTask.claims(cutouts, ("z",)) == 0  # type: ignore[arg-type]
    assert PhotozTask.claims(cutouts, ("redshift", "m")) == 0  # type: ignore[arg-type]
    task = PhotozTask(("redshift",), outlier_thresholds=(0.05, 0.15))
    assert task.outlier_metrics == ("outlier_fraction_0.05", "outlier_fraction_0.15")
    assert task.interval_metrics == (
        "sigma_nmad",
        "outlier_fraction_0.05",
        "outlier_fraction_0.15",
        "bias",
    )
    assert task.table_metrics == (
        "sigma_nmad",
        "outlier_fraction_0.05",
        "outlier_fraction_0.15",
        "bias",
    )
    by_bias = PhotozTask(("redshift",), headline="bias", outlier_thresholds=(0.1,))
    assert by_bias.interval_metrics == ("bias", "sigma_nmad", "outlier_fraction_0.1")
    assert by_bias.table_metrics == ("bias", "outlier_fraction_0.1")
    directions = {m: task.metric_higher_is_better(m) for m in (
        "sigma_nmad", "redshift/sigma68", "outlier_fraction_0.05", "r2", "crps", "bias",
        "tarp_ks_pvalue", "a/b/sigma_nmad", "r2/b/r2")}  # fmt: skip
    assert directions == {
        "sigma_nmad": False,
        "redshift/sigma68": False,
        "outlier_fraction_0.05": False,
        "r2": True,
        "crps": False,
        "bias": True,
        "tarp_ks_pvalue": True,
        "a/b/sigma_nmad": False,  # judged by the last part only
        "r2/b/r2": True,
    }


def test_photoz_scores_use_the_tasks_thresholds() -> None:
    task = PhotozTask(("redshift",), outlier_thresholds=(0.1,))
    z = np.zeros(4)
    scores = task.score(Predictions(z, np.array([0.0, 0.1, 0.11, 0.3])))
    assert scores["outlier_fraction_0.1"] == pytest.approx(0.5)
    assert "outlier_fraction_0.15" not in scores


def test_photoz_figure_gets_the_scores_of_the_tasks_thresholds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: dict[str, Any] = {}

    def fake_scatter(
        z: np.ndarray, z_hat: np.ndarray, stats: dict[str, float], title: str
    ) -> bytes:
        drawn.update(z=z, z_hat=z_hat, stats=stats, title=title)
        return b"png"

    monkeypatch.setattr("astrobench.tasks.figures.photoz_scatter", fake_scatter)
    task = PhotozTask(("redshift",), outlier_thresholds=(0.1,))
    z, z_hat = np.array([0.1, 0.2, 0.3]), np.array([0.1, 0.5, 0.3])
    (figure,) = task.figures(Predictions(z, z_hat), "sdss", "kNN")
    assert figure.caption == "sdss: predicted vs true redshift of the best model (kNN)"
    assert figure.slug == "photoz_sdss" and figure.png == b"png"
    assert drawn["title"] == figure.caption
    np.testing.assert_array_equal(drawn["z"], z)
    np.testing.assert_array_equal(drawn["z_hat"], z_hat)
    assert drawn["stats"]["outlier_fraction_0.1"] == pytest.approx(1 / 3)
    assert "outlier_fraction_0.15" not in drawn["stats"]


# ----- multi-output -------------------------------------------------------------------------


def test_multioutput_claims_and_from_file() -> None:
    cutouts = FakeCutouts(
        {
            "a": [1.0, 2.0],
            "b": [1, 2],
            "c": [True, False],
            "name": np.array(["x", "y"], dtype=object),
        }
    )
    assert MultiOutputTask.claims(cutouts, ("a", "b")) == 50  # type: ignore[arg-type]
    assert MultiOutputTask.claims(cutouts, ("a",)) == 0  # type: ignore[arg-type]
    task = MultiOutputTask.from_file(cutouts, ("a", "b", "c"), {"headline": "mae_std"})  # type: ignore[arg-type]
    assert task == MultiOutputTask(("a", "b", "c"), "mae_std")
    assert task.output == ValueOutput(3)
    for bad in (("a",), ("a", "a"), ("a", "b", "a")):
        with pytest.raises(ConfigError, match="two or more different columns") as error:
            MultiOutputTask.from_file(cutouts, bad, {})  # type: ignore[arg-type]
        assert error.value.hint == "e.g. --target redshift,log_mstar,log_ssfr"
        assert error.value.message.endswith(f"got {','.join(bad)}")
    with pytest.raises(ConfigError, match="column 'name' does not hold numbers") as error:
        MultiOutputTask.from_file(cutouts, ("a", "name"), {})  # type: ignore[arg-type]
    assert error.value.hint == "predict numeric columns"


def test_multioutput_directions() -> None:
    task = MultiOutputTask(("redshift", "m"))
    lower = ("mae_std", "m/rmse", "redshift/outlier_fraction_0.15", "redshift/precision", "nll")
    assert not any(task.metric_higher_is_better(m) for m in lower)
    assert all(task.metric_higher_is_better(m) for m in ("r2", "m/r2", "redshift/bias"))
    assert not task.metric_higher_is_better("a/b/mae_std")  # the last part decides
    assert not task.metric_higher_is_better("a/b/outlier_fraction_0.05")


def test_multioutput_averages_r2_and_mae_in_units_of_each_columns_spread() -> None:
    truth = np.array([[0.1, 10.0], [0.2, 20.0], [0.3, 30.0], [0.4, 50.0]])
    pred = truth + np.array([[0.05, 1.0], [0.0, -3.0], [0.0, 0.0], [-0.1, 2.0]])
    task = MultiOutputTask(("redshift", "mass"), outlier_thresholds=(0.05,))
    scores = task.score(Predictions(truth, pred))
    mae = np.abs(pred - truth).mean(axis=0)
    r2 = 1 - ((pred - truth) ** 2).sum(axis=0) / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
    assert scores["mae_std"] == pytest.approx(np.mean(mae / truth.std(axis=0)))
    assert scores["r2"] == pytest.approx(r2.mean())
    assert scores["mass/r2"] == pytest.approx(r2[1])
    # photo-z metrics for the redshift column only, at the task's thresholds
    dz = (pred[:, 0] - truth[:, 0]) / (1 + truth[:, 0])
    assert scores["redshift/outlier_fraction_0.05"] == pytest.approx(np.mean(np.abs(dz) > 0.05))
    assert "redshift/outlier_fraction_0.15" not in scores
    assert not any(k.startswith("mass/sigma") for k in scores)
    # a constant column has no spread: its MAE in σ units stays finite
    flat = MultiOutputTask(("a", "b")).score(
        Predictions(np.array([[1.0, 2.0], [1.0, 3.0]]), np.array([[1.0, 2.0], [1.0, 3.0]]))
    )
    assert flat["mae_std"] == 0.0
    off = MultiOutputTask(("a", "b")).score(
        Predictions(np.array([[1.0, 2.0], [1.0, 3.0]]), np.array([[2.0, 2.0], [2.0, 3.0]]))
    )
    assert off["mae_std"] == pytest.approx(0.5 / 1e-12)  # MAE 1 over a spread of 0 (+1e-12)
    # float32 columns are scored in double precision
    t32, p32 = truth.astype(np.float32), pred.astype(np.float32)
    scores32 = task.score(Predictions(t32, p32))
    t64, p64 = t32.astype(np.float64), p32.astype(np.float64)
    mae_std = np.mean(np.abs(p64 - t64).mean(axis=0) / (t64.std(axis=0) + 1e-12))
    assert scores32["mae_std"] == pytest.approx(mae_std, rel=1e-13)
    assert scores32["mass/mae"] == pytest.approx(np.abs(p64 - t64)[:, 1].mean(), rel=1e-13)


def test_posterior_scores_carry_the_ensemble_members_nll_spread() -> None:
    from astrobench.tasks.posterior_scores import posterior_scores

    rng = np.random.default_rng(5)
    y = rng.normal(size=30)
    samples = y[:, None, None] + rng.normal(size=(30, 40, 1))
    members = rng.normal(-1.0, 0.5, size=(30, 4))  # [n, M] log-densities of the truths
    scores = posterior_scores(
        ("m",), Predictions(y, y, samples=samples, extra={"member_log_density": members})
    )
    per_member = -members.mean(axis=0)  # [M] NLL of each member
    assert scores["nll_member_mean"] == pytest.approx(per_member.mean(), rel=1e-12)
    assert scores["nll_member_std"] == pytest.approx(per_member.std(ddof=1), rel=1e-12)
    without = posterior_scores(("m",), Predictions(y, y, samples=samples))
    assert "nll_member_mean" not in without and "nll_member_std" not in without


def test_posterior_metric_names_with_and_without_a_column_prefix() -> None:
    from astrobench.tasks.posterior_scores import is_posterior_metric

    for name in ("nll", "nll_member_mean", "tarp_area", "coverage68", "coverage95",
                 "tarp_ks_pvalue", "pit_ks_pvalue", "crps", "log_mass/coverage68",
                 "a/b/coverage95"):  # fmt: skip
        assert is_posterior_metric(name), name
    for name in ("r2", "coverage68/r2", "log_mass/r2", "coverage", "nll/", ""):
        assert not is_posterior_metric(name), name
