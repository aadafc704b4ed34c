"""The report's posterior part of a task section: NLL table with baselines, TARP, PIT, p(z).

It covers every (backbone, protocol) group whose rows carry posterior metrics (the `flow`,
`gaussian` and `knn_posterior` protocols): a table of NLL, TARP summary, interval coverage and
the calibration verdict, lowest NLL first; one TARP figure per protocol with a curve per
backbone against the diagonal; PIT histograms of the first target column; and example
posteriors of that column (p(z) for redshift) with the true value marked. Figures and verdicts
use each group's first seed; table numbers are means (± std) over seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from astrobench.bench.aggregate import GroupSummary
from astrobench.metrics import calibration
from astrobench.report import posterior_figures
from astrobench.tasks.predictions import Predictions

N_EXAMPLES = 8
TABLE_METRICS = (
    "nll",
    "nll_member_std",
    "tarp_area",
    "tarp_max_deviation",
    "coverage68",
    "coverage95",
    "crps",
)


@dataclass
class PosteriorGroup:
    """A group with posterior predictions (its first seed's), loaded for figures."""

    group: GroupSummary
    predictions: Predictions

    @property
    def label(self) -> str:
        return f"{self.group.backbone} + {self.group.protocol}"

    @property
    def samples(self) -> np.ndarray:
        """[n, S, T] posterior samples."""
        assert self.predictions.samples is not None
        return np.asarray(self.predictions.samples, dtype=np.float64)

    def same_objects(self, other: PosteriorGroup) -> bool:
        """Whether both predict the same test objects in the same order."""
        mine, theirs = self.predictions.indices, other.predictions.indices
        if mine is None or theirs is None:
            return len(self.predictions.y_true) == len(other.predictions.y_true)
        return bool(np.array_equal(mine, theirs))

    def column(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Samples [n, S] and truths [n] of target column `index`."""
        samples = self.samples[:, :, index]
        truths = np.asarray(self.predictions.y_true, dtype=np.float64)
        return samples, truths.reshape(len(truths), -1)[:, index]


def posterior_groups(
    groups: Sequence[GroupSummary], load: Callable[[GroupSummary], Predictions]
) -> list[PosteriorGroup]:
    """The groups whose rows have posterior metrics, with their first seed's predictions."""
    found = [PosteriorGroup(g, load(g)) for g in groups if "tarp_area" in g.metrics]
    return [entry for entry in found if entry.predictions.samples is not None]


def _nll(entry: PosteriorGroup) -> float:
    nll = entry.group.metrics.get("nll")
    return nll.mean if nll is not None and np.isfinite(nll.mean) else np.inf


def _cell(group: GroupSummary, name: str) -> str:
    summary = group.metrics.get(name)
    if summary is None or not np.isfinite(summary.mean):
        return "–"
    spread = f" ± {summary.std:.2g}" if len(group.seeds) > 1 else ""
    return f"{summary.mean:.3f}{spread}"


def posterior_table(
    found: Sequence[PosteriorGroup], columns: Sequence[str]
) -> list[dict[str, str]]:
    """One row per backbone x protocol, lowest NLL first (groups without a density last)."""
    rows = []
    for entry in sorted(found, key=_nll):
        verdict = calibration.calibration_verdict(
            entry.samples, entry.predictions.y_true, columns=tuple(columns)
        )
        row = {"backbone": entry.group.backbone, "protocol": entry.group.protocol}
        row.update({name: _cell(entry.group, name) for name in TABLE_METRICS})
        if "redshift" in columns:
            key = "sigma_nmad" if len(columns) == 1 else "redshift/sigma_nmad"
            row["σ_NMAD(z)"] = _cell(entry.group, key)
        row["verdict"] = verdict.label
        rows.append(row)
    return rows


def tarp_figures(found: Sequence[PosteriorGroup], label: str) -> list[tuple[str, bytes, str]]:
    """(caption, PNG, slug) of one TARP figure per protocol, a curve per backbone."""
    figures = []
    for protocol in sorted({e.group.protocol for e in found}):
        curves = {}
        for entry in (e for e in found if e.group.protocol == protocol):
            result = calibration.tarp_coverage(entry.samples, entry.predictions.y_true)
            curves[entry.group.backbone] = (result.alpha, result.ecp)
        caption = (
            f"{label}: TARP expected coverage of the {protocol} posteriors (diagonal: calibrated)"
        )
        figures.append(
            (caption, posterior_figures.tarp_figure(curves, caption), f"tarp_{label}_{protocol}")
        )
    return figures


def pit_and_example_figures(
    found: Sequence[PosteriorGroup], columns: Sequence[str], label: str
) -> list[tuple[str, bytes, str]]:
    """(caption, PNG, slug) of the PIT histograms and the example posteriors of column 0."""
    first = columns[0]
    pits = {e.label: calibration.pit_values(*e.column(0)) for e in found}
    caption = f"{label}: PIT of {first} per model (flat at 1: calibrated; U-shaped: over-confident)"
    figures = [(caption, posterior_figures.pit_figure(pits, caption), f"pit_{label}")]
    flows = [e for e in found if e.group.protocol == "flow"] or list(found)
    best = min(flows, key=_nll)
    rows = np.arange(min(N_EXAMPLES, len(best.predictions.y_true)))
    others = {
        e.group.backbone: e.column(0)[0][rows]
        for e in flows
        if e is not best and e.same_objects(best)
    }
    samples, truths = best.column(0)
    caption = (
        f"{label}: example posteriors of {first} from {best.label} (filled) and the other "
        "backbones' flows (outlines); red: the true value"
    )
    png = posterior_figures.example_posteriors_figure(
        samples[rows], truths[rows], caption, first, best.group.backbone, others
    )
    return [*figures, (caption, png, f"examples_{label}")]
