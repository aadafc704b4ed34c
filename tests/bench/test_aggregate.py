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
