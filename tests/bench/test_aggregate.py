"""Aggregation over seeds and the interquartile-mean ranking across tasks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from astrobench.bench.aggregate import interquartile_mean, iqm_ranking, normalised_scores, summarise
from astrobench.bench.store import ResultRow


def test_seed_summary_and_intervals(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(
            config_hash=f"h{s}",
            seed=s,
            metrics={"accuracy": a},
            intervals={"accuracy": [a - 0.1, a + 0.1]},
        )
        for s, a in enumerate([0.6, 0.8, 0.7])
    ]
    (group,) = summarise(rows)
    assert group.seeds == [0, 1, 2]
    assert group.headline.mean == pytest.approx(0.7)
    assert group.headline.std == pytest.approx(0.1)
    assert (group.headline.min, group.headline.max) == (0.6, 0.8)
    assert group.intervals["accuracy"] == pytest.approx((0.6, 0.8))
    assert group.energy_method == "estimated"


def test_normalisation_respects_metric_direction(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(config_hash="a1", backbone="A", metrics={"accuracy": 0.9}),
        make_row(config_hash="b1", backbone="B", metrics={"accuracy": 0.5}),
        # photo-z: lower sigma_nmad is better, so B wins this task
        make_row(config_hash="a2", backbone="A", task="redshift", headline_metric="sigma_nmad",
                 higher_is_better=False, metrics={"sigma_nmad": 0.08}),
        make_row(config_hash="b2", backbone="B", task="redshift", headline_metric="sigma_nmad",
                 higher_is_better=False, metrics={"sigma_nmad": 0.02}),
    ]  # fmt: skip
    scores = normalised_scores(rows)
    assert scores[("A", "linear")] == [1.0, 0.0]
    assert scores[("B", "linear")] == [0.0, 1.0]


def test_iqm_ranking_orders_by_robust_mean(make_row: Callable[..., ResultRow]) -> None:
    rows = []
    for task in ("t1", "t2", "t3", "t4"):
        for backbone, value in (("good", 0.9), ("bad", 0.3)):
            rows.append(
                make_row(
                    config_hash=f"{task}{backbone}",
                    task=task,
                    backbone=backbone,
                    metrics={"accuracy": value},
                )
            )
    ranking = iqm_ranking(rows)
    assert [e.backbone for e in ranking] == ["good", "bad"]
    assert ranking[0].iqm == 1.0 and ranking[0].n_tasks == 4


def test_interquartile_mean_ignores_the_tails() -> None:
    assert interquartile_mean([0, 1, 1, 1, 1, 1, 1, 100]) == pytest.approx(1.0)


def test_group_summary_carries_costs_and_means_over_seeds(
    make_row: Callable[..., ResultRow],
) -> None:
    rows = [
        make_row(config_hash="b", seed=1, train_seconds=3.0, eval_seconds=1.0, energy_kwh=0.3,
                 co2_kg=0.03, extra={"wall_seconds": 5.0}, params_total=7, params_trainable=3,
                 metrics={"accuracy": 0.4, "f1_macro": 0.2}, intervals={}),
        make_row(config_hash="a", seed=0, train_seconds=1.0, eval_seconds=0.0, energy_kwh=0.1,
                 co2_kg=0.01, extra={}, params_total=7, params_trainable=3,
                 metrics={"accuracy": 0.6}, intervals={"accuracy": [0.5, 0.7]},
                 energy_method="measured"),
    ]  # fmt: skip
    (group,) = summarise(rows)
    assert [r.config_hash for r in group.rows] == ["a", "b"] and group.seeds == [0, 1]
    assert (group.dataset, group.task, group.backbone, group.protocol, group.fraction) == (
        "d",
        "label",
        "b",
        "linear",
        1.0,
    )
    assert (group.params_total, group.params_trainable) == (7, 3)
    assert group.train_seconds == pytest.approx(2.0) and group.eval_seconds == pytest.approx(0.5)
    assert group.wall_seconds == pytest.approx(2.5)  # a row without it counts as 0
    assert group.energy_kwh == pytest.approx(0.2) and group.co2_kg == pytest.approx(0.02)
    assert group.energy_method == "mixed"
    assert group.headline_metric == "accuracy" and group.higher_is_better is True
    # a metric one seed lacks is summarised over the seeds that have it
    assert group.metrics["f1_macro"].n == 1 and group.metrics["f1_macro"].mean == 0.2
    # the interval is averaged over the rows that carry one
    assert group.intervals == {"accuracy": (0.5, 0.7)}


def test_groups_differ_by_everything_but_the_seed(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(config_hash="1", fraction=0.1),
        make_row(config_hash="2", fraction=1.0),
        make_row(config_hash="3", fraction=1.0, seed=1),
        make_row(config_hash="4", protocol="knn"),
        make_row(config_hash="5", dataset="c"),
    ]
    groups = summarise(rows)
    keys = [(g.dataset, g.protocol, g.fraction, len(g.seeds)) for g in groups]
    assert keys == [("c", "linear", 1.0, 1), ("d", "knn", 1.0, 1), ("d", "linear", 0.1, 1),
                    ("d", "linear", 1.0, 2)]  # fmt: skip


def test_ties_non_finite_scores_and_tasks_by_fraction(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(config_hash="a", backbone="A", metrics={"accuracy": 0.5}),
        make_row(config_hash="b", backbone="B", metrics={"accuracy": 0.5}),
        make_row(config_hash="c", backbone="A", fraction=0.1, metrics={"accuracy": 0.2}),
        make_row(config_hash="d", backbone="B", fraction=0.1, metrics={"accuracy": float("nan")}),
        make_row(config_hash="e", backbone="C", fraction=0.1, metrics={"accuracy": 0.6}),
    ]
    scores = normalised_scores(rows)
    # fraction 1.0: a tie gives 0.5 to both; fraction 0.1 is its own task: 0.2 -> 0, 0.6 -> 1
    assert scores[("A", "linear")] == [0.5, 0.0]
    assert scores[("B", "linear")] == [0.5, 0.0]  # a NaN score counts as the worst
    assert scores[("C", "linear")] == [1.0]
    ranking = iqm_ranking(rows)
    assert [(e.backbone, e.n_scores, e.n_tasks) for e in ranking] == [
        ("C", 1, 1), ("A", 2, 2), ("B", 2, 2)
    ]  # fmt: skip
    assert ranking[1].iqm == pytest.approx(0.25)


def test_all_scores_non_finite_on_a_task(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(config_hash="a", backbone="A", metrics={"accuracy": float("nan")}),
        make_row(config_hash="b", backbone="B", metrics={"accuracy": float("inf")}),
    ]
    assert normalised_scores(rows) == {("A", "linear"): [0.0], ("B", "linear"): [0.0]}


def test_ranking_ties_are_broken_by_name(make_row: Callable[..., ResultRow]) -> None:
    rows = [
        make_row(config_hash="1", backbone="zeta", protocol="knn"),
        make_row(config_hash="2", backbone="alpha", protocol="mlp"),
        make_row(config_hash="3", backbone="alpha", protocol="knn"),
    ]
    ranking = iqm_ranking(rows)
    assert [(e.backbone, e.protocol) for e in ranking] == [
        ("alpha", "knn"), ("alpha", "mlp"), ("zeta", "knn")
    ]  # fmt: skip
    assert all(e.iqm == 0.5 for e in ranking)


def test_interquartile_mean_of_nothing_is_nan_and_of_few_values_is_trimmed() -> None:
    import math

    assert math.isnan(interquartile_mean([]))
    assert interquartile_mean([1.0, 2.0, 3.0, 10.0]) == pytest.approx(2.5)  # middle two
    assert interquartile_mean([0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 10.0, 100.0]) == 7.5


def test_a_task_with_a_single_entry_scores_one_half(make_row: Callable[..., ResultRow]) -> None:
    rows = [make_row(config_hash="a", headline_metric="mse", higher_is_better=False,
                     metrics={"mse": 0.3})]  # fmt: skip
    assert normalised_scores(rows) == {("b", "linear"): [0.5]}
    (group,) = summarise(rows)
    assert group.higher_is_better is False and group.headline.mean == 0.3
