"""Headline findings: short sentences whose every number is computed from result summaries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astrobench.bench.aggregate import GroupSummary
from astrobench.metrics import photoz


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
    """Pretrained vs baseline under one protocol, at the smallest and the largest label fraction,
    saying (from the numbers) where the gain is larger."""
    fractions = sorted({g.fraction for g in groups if g.task == task and g.protocol == protocol})
    pairs = (
        [
            (
                f,
                _find(groups, task, pretrained, protocol, f),
                _find(groups, task, baseline, protocol, f),
            )
            for f in (fractions[0], fractions[-1])
        ]
        if fractions
        else []
    )
    if not pairs or any(a is None or b is None for _, a, b in pairs):
        return None
    first = pairs[0][1]
    assert first is not None
    sign = 1.0 if first.higher_is_better else -1.0
    parts, gains = [], []
    for fraction, with_mae, without in pairs:
        assert with_mae is not None and without is not None
        a, b = with_mae.headline.mean, without.headline.mean
        gains.append(sign * (a - b))
        parts.append(f"{a - b:+.3f} at {fraction:.0%} of labels ({a:.3f} vs {b:.3f})")
    if len(fractions) == 1:
        where = ""
    elif gains[0] > gains[1]:
        where = "; the gain is larger with few labels"
    else:
        where = "; the gain is not larger with few labels"
    return (
        f"{task}, {protocol} probe, {pretrained} vs the same architecture at random init "
        f"({baseline}): {first.headline_metric} {' and '.join(parts)}, mean of "
        f"{first.headline.n} seeds{where}."
    )


def best_photoz(groups: Sequence[GroupSummary], task: str = "redshift") -> str | None:
    """The best photo-z model at the largest label fraction, with σ_NMAD, η and bias."""
    candidates = [g for g in groups if g.task == task]
    if not candidates:
        return None
    fraction = max(g.fraction for g in candidates)
    best = _best([g for g in candidates if g.fraction == fraction])
    if best is None or "sigma_nmad" not in best.metrics:
        return None
    m = best.metrics
    outliers = photoz.outlier_fractions(m)
    etas = ", ".join(f"η(|Δz|/(1+z)>{t:g}) {s.mean:.3f}" for t, s in outliers.items())
    return (
        f"{task}: best is {best.backbone} + {best.protocol} with σ_NMAD {m['sigma_nmad'].mean:.4f} "
        f"± {m['sigma_nmad'].std:.4f}, outlier fraction {etas}, bias {m['bias'].mean:+.4f} "
        f"({fraction:.0%} of labels, {best.headline.n} seeds)."
    )


def photometry_baseline(groups: Sequence[GroupSummary], task: str, photometry: str) -> str | None:
    """The photometry-only encoder's best probe against the best image model, at all labels."""
    candidates = [g for g in groups if g.task == task]
    if not candidates:
        return None
    fraction = max(g.fraction for g in candidates)
    at_top = [g for g in candidates if g.fraction == fraction]
    baseline = _best([g for g in at_top if g.backbone == photometry])
    images = _best([g for g in at_top if g.backbone != photometry])
    if baseline is None or images is None:
        return None
    name = baseline.headline_metric
    a, b = images.headline.mean, baseline.headline.mean
    better = (a > b) == images.higher_is_better and a != b
    verdict = "beats" if better else "does not beat"
    return (
        f"{task}: the best image model ({images.backbone} + {images.protocol}, {name} {a:.4f}) "
        f"{verdict} photometry alone ({photometry} + {baseline.protocol}, {name} {b:.4f}) "
        f"at {fraction:.0%} of labels."
    )


def most_confused_classes(
    names: Sequence[str], confusion: np.ndarray, what: str, task: str
) -> str | None:
    """The largest off-diagonal share of a confusion matrix [true, predicted] (counts)."""
    totals = confusion.sum(axis=1, keepdims=True)  # [K, 1] objects per true class
    share = np.where(totals > 0, confusion / np.maximum(totals, 1), 0.0)  # [K, K]
    np.fill_diagonal(share, 0.0)
    true_class, predicted = (int(i) for i in np.unravel_index(int(np.argmax(share)), share.shape))
    if share[true_class, predicted] == 0:
        return None
    return (
        f"{task}: the most confused classes for {what} are {names[true_class]} taken for "
        f"{names[predicted]} ({int(confusion[true_class, predicted])} of "
        f"{int(totals[true_class, 0])}, {share[true_class, predicted]:.0%}), summed over seeds."
    )
