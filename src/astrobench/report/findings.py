"""Headline findings: short sentences whose every number is computed from result summaries."""

from __future__ import annotations

from collections.abc import Sequence

from astrobench.bench.aggregate import GroupSummary


def _find(
    groups: Sequence[GroupSummary], task: str, backbone: str, protocol: str, fraction: float
) -> GroupSummary | None:
    for group in groups:
        if (group.task, group.backbone, group.protocol, group.fraction) == (
            task,
            backbone,
            protocol,
            fraction,
        ):
            return group
    return None


def _best(groups: Sequence[GroupSummary]) -> GroupSummary | None:
    finite = [g for g in groups if g.headline.n > 0]
    if not finite:
        return None
    sign = 1.0 if finite[0].higher_is_better else -1.0
    return max(finite, key=lambda g: sign * g.headline.mean)


def pretraining_effect(
    groups: Sequence[GroupSummary], task: str, pretrained: str, baseline: str, protocol: str
) -> str | None:
    """Pretrained vs baseline backbone under one protocol, at the largest label fraction."""
    fractions = [g.fraction for g in groups if g.task == task and g.protocol == protocol]
    if not fractions:
        return None
    fraction = max(fractions)
    with_mae = _find(groups, task, pretrained, protocol, fraction)
    without = _find(groups, task, baseline, protocol, fraction)
    if with_mae is None or without is None:
        return None
    metric = with_mae.headline_metric
    a, b = with_mae.headline, without.headline
    better = (a.mean > b.mean) == with_mae.higher_is_better
    return (
        f"{task}, {protocol} probe, {fraction:.0%} of labels: {pretrained} reaches {metric} "
        f"{a.mean:.3f} ± {a.std:.3f} vs {b.mean:.3f} ± {b.std:.3f} for {baseline} "
        f"({'better' if better else 'not better'}: {a.mean - b.mean:+.3f}, over {a.n} seeds)."
    )


def best_photoz(groups: Sequence[GroupSummary], task: str = "redshift") -> str | None:
    """The best photo-z model at the largest label fraction, with σ_NMAD, η and bias."""
    candidates = [g for g in groups if g.task == task]
    if not candidates:
        return None
    fraction = max(g.fraction for g in candidates)
    best = _best([g for g in candidates if g.fraction == fraction])
    if best is None or "outlier_fraction" not in best.metrics:
        return None
    m = best.metrics
    return (
        f"{task}: best is {best.backbone} + {best.protocol} with σ_NMAD {m['sigma_nmad'].mean:.4f} "
        f"± {m['sigma_nmad'].std:.4f}, outlier fraction η {m['outlier_fraction'].mean:.3f}, "
        f"bias {m['bias'].mean:+.4f} ({fraction:.0%} of labels, {best.headline.n} seeds)."
    )


def label_efficiency(groups: Sequence[GroupSummary], task: str) -> str | None:
    """How much of the best model's full-label score survives at the smallest label fraction."""
    candidates = [g for g in groups if g.task == task]
    fractions = sorted({g.fraction for g in candidates})
    if len(fractions) < 2:
        return None
    best = _best([g for g in candidates if g.fraction == fractions[-1]])
    if best is None:
        return None
    few = _find(candidates, task, best.backbone, best.protocol, fractions[0])
    if few is None:
        return None
    speedup = ""
    if best.train_seconds >= 0.1:
        speedup = f"; its training took {best.train_seconds:.1f} s per run at {fractions[-1]:.0%}"
    return (
        f"{task}: the best model, {best.backbone} + {best.protocol}, scores {best.headline_metric} "
        f"{best.headline.mean:.3f} with {fractions[-1]:.0%} of labels and {few.headline.mean:.3f} "
        f"with {fractions[0]:.0%} (seeds: {few.headline.min:.3f}–{few.headline.max:.3f})"
        f"{speedup}."
    )
