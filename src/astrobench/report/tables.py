"""Report tables as plain data (lists of dicts of strings): the leaderboard and the ranking.

Templates render them to Markdown and HTML; escaping is the template's job.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astrobench.bench.aggregate import GroupSummary, RankEntry

LEADERBOARD_COLUMNS = (
    "backbone",
    "protocol",
    "metric",
    "mean ± std",
    "min–max",
    "95 % CI",
    "params (M)",
    "trainable (M)",
    "train (s)",
    "eval (s)",
    "energy (Wh)",
    "CO₂ (g)",
)


def _number(value: float, digits: int = 4) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}g}"


def leaderboard_columns(companions: Sequence[str] = ()) -> tuple[str, ...]:
    """The leaderboard's columns: the headline's, then each companion metric's, then cost."""
    return (*LEADERBOARD_COLUMNS[:6], *companions, *LEADERBOARD_COLUMNS[6:])


def leaderboard(
    groups: Sequence[GroupSummary], companions: Sequence[str] = ()
) -> list[dict[str, str]]:
    """One row per backbone x protocol (at the given fraction), best headline first — like seed
    004 Table 1: metric, parameters, time and CO2 side by side. `companions` are further metrics
    shown as mean ± std (e.g. bias and η at each threshold beside photo-z σ_NMAD)."""
    ordered = sorted(
        groups, key=lambda g: -g.headline.mean if g.higher_is_better else g.headline.mean
    )
    rows = []
    for group in ordered:
        headline = group.headline
        interval = group.intervals.get(group.headline_metric)
        method = "" if group.energy_method == "measured" else " (est.)"
        shown = {
            name: f"{_number(group.metrics[name].mean)} ± {_number(group.metrics[name].std, 2)}"
            if name in group.metrics
            else "–"
            for name in companions
        }
        rows.append(
            {
                **shown,
                "backbone": group.backbone,
                "protocol": group.protocol,
                "metric": group.headline_metric,
                "mean ± std": f"{_number(headline.mean)} ± {_number(headline.std, 2)}",
                "min–max": f"{_number(headline.min)}–{_number(headline.max)}",
                "95 % CI": f"[{_number(interval[0])}, {_number(interval[1])}]" if interval else "–",
                "params (M)": f"{group.params_total / 1e6:.2f}",
                "trainable (M)": f"{group.params_trainable / 1e6:.3f}",
                "train (s)": f"{group.train_seconds:.1f}",
                "eval (s)": f"{group.eval_seconds:.1f}",
                "energy (Wh)": f"{group.energy_kwh * 1e3:.3g}{method}",
                "CO₂ (g)": f"{group.co2_kg * 1e3:.3g}{method}",
            }
        )
    return rows


def ranking_table(entries: Sequence[RankEntry]) -> list[dict[str, str]]:
    """The one-number ranking: interquartile mean of per-task normalised headline scores."""
    return [
        {
            "rank": str(position),
            "backbone": entry.backbone,
            "protocol": entry.protocol,
            "IQM (0–1)": f"{entry.iqm:.3f}",
            "tasks": str(entry.n_tasks),
            "scores": str(entry.n_scores),
        }
        for position, entry in enumerate(entries, start=1)
    ]
