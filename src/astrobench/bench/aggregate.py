"""Summaries of result rows: over seeds, with intervals, and one-number rankings across tasks.

- `summarise`: per (dataset, task, backbone, protocol, fraction), the mean ± std and min–max of
  every metric over seeds, the seed-averaged 95 % bootstrap interval of each metric that has one,
  and mean cost.
- `iqm_ranking`: per (backbone, protocol), the interquartile mean over tasks and seeds of the
  headline metric normalised per task (0 = worst entry on that task, 1 = best), so tasks with
  different metrics and directions can be ranked together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import trim_mean

from astrobench.bench.store import ResultRow
from astrobench.metrics.stats import SeedSummary, summarise_seeds

GroupKey = tuple[str, str, str, str, float]  # dataset, task, backbone, protocol, fraction


@dataclass
class GroupSummary:
    """One (dataset, task, backbone, protocol, fraction) over its seeds."""

    dataset: str
    task: str
    backbone: str
    protocol: str
    fraction: float
    headline_metric: str
    higher_is_better: bool
    seeds: list[int]
    metrics: dict[str, SeedSummary]
    intervals: dict[str, tuple[float, float]]  # seed-averaged 95 % bootstrap interval
    params_total: int
    params_trainable: int
    train_seconds: float  # mean over seeds
    eval_seconds: float
    wall_seconds: float
    energy_kwh: float
    co2_kg: float
    energy_method: str
    rows: list[ResultRow] = field(default_factory=list, repr=False)

    @property
    def headline(self) -> SeedSummary:
        return self.metrics[self.headline_metric]


@dataclass(frozen=True)
class RankEntry:
    """A backbone x protocol's interquartile mean of normalised headline scores."""

    backbone: str
    protocol: str
    iqm: float
    n_scores: int
    n_tasks: int


def group_key(row: ResultRow) -> GroupKey:
    return (row.dataset, row.task, row.backbone, row.protocol, row.fraction)


def summarise(rows: Iterable[ResultRow]) -> list[GroupSummary]:
    """One GroupSummary per group of rows that differ only by seed, sorted by key."""
    groups: dict[GroupKey, list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[group_key(row)].append(row)
    return [
        _summarise_group(key, sorted(g, key=lambda r: r.seed)) for key, g in sorted(groups.items())
    ]


def _summarise_group(key: GroupKey, rows: list[ResultRow]) -> GroupSummary:
    names = sorted(set().union(*(r.metrics for r in rows)))
    metrics = {m: summarise_seeds([r.metrics.get(m, np.nan) for r in rows]) for m in names}
    interval_names = sorted(set().union(*(r.intervals for r in rows)))
    intervals = {
        m: (
            float(np.mean([r.intervals[m][0] for r in rows if m in r.intervals])),
            float(np.mean([r.intervals[m][1] for r in rows if m in r.intervals])),
        )
        for m in interval_names
    }
    methods = {r.energy_method for r in rows}
    return GroupSummary(
        *key,
        headline_metric=rows[0].headline_metric,
        higher_is_better=rows[0].higher_is_better,
        seeds=[r.seed for r in rows],
        metrics=metrics,
        intervals=intervals,
        params_total=rows[0].params_total,
        params_trainable=rows[0].params_trainable,
        train_seconds=_mean(r.train_seconds for r in rows),
        eval_seconds=_mean(r.eval_seconds for r in rows),
        wall_seconds=_mean(float(r.extra.get("wall_seconds", 0.0)) for r in rows),
        energy_kwh=_mean(r.energy_kwh for r in rows),
        co2_kg=_mean(r.co2_kg for r in rows),
        energy_method=methods.pop() if len(methods) == 1 else "mixed",
        rows=rows,
    )


def _mean(values: Iterable[float]) -> float:
    return float(np.mean(list(values)))


def normalised_scores(rows: Sequence[ResultRow]) -> dict[tuple[str, str], list[float]]:
    """(backbone, protocol) -> headline scores scaled per task (dataset, task, fraction) to [0, 1].

    On each task, 0 is the worst and 1 the best value any entry reached (direction from the
    task's higher_is_better); a task where every entry ties gives 0.5 to all.
    """
    by_task: dict[tuple[str, str, float], list[ResultRow]] = defaultdict(list)
    for row in rows:
        by_task[(row.dataset, row.task, row.fraction)].append(row)
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for task_rows in by_task.values():
        values = np.array([r.headline for r in task_rows], dtype=np.float64)
        if not task_rows[0].higher_is_better:
            values = -values
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        for row, value in zip(task_rows, values, strict=True):
            if not np.isfinite(value):
                normalised = 0.0
            elif high > low:
                normalised = float((value - low) / (high - low))
            else:
                normalised = 0.5
            scores[(row.backbone, row.protocol)].append(normalised)
    return scores


def iqm_ranking(rows: Sequence[ResultRow]) -> list[RankEntry]:
    """Backbone x protocol entries, best first, by interquartile mean of normalised scores."""
    n_tasks = defaultdict(set)
    for row in rows:
        n_tasks[(row.backbone, row.protocol)].add((row.dataset, row.task, row.fraction))
    entries = [
        RankEntry(
            backbone,
            protocol,
            interquartile_mean(values),
            len(values),
            len(n_tasks[(backbone, protocol)]),
        )
        for (backbone, protocol), values in normalised_scores(rows).items()
    ]
    return sorted(entries, key=lambda e: (-e.iqm, e.backbone, e.protocol))


def interquartile_mean(values: Sequence[float]) -> float:
    """Mean of the middle 50 % of the values (robust to a few outlying tasks or seeds)."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return float("nan")
    return float(trim_mean(array, 0.25))
