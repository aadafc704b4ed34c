"""`report(DIR)`: read a results folder and write DIR/report.md and a self-contained report.html.

Every number in the report is computed here from the stored rows and prediction files; figures are
embedded as base64 PNG, so report.html is one file that opens anywhere, offline.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.atomic import atomic_open
from astrobench.bench.aggregate import GroupSummary, iqm_ranking, summarise
from astrobench.bench.store import RESULTS_FILE, ResultRow, ResultsStore
from astrobench.errors import DataFormatError
from astrobench.report import embedding_section, figures, posterior_section
from astrobench.report.property_section import property_tables
from astrobench.report.render import render_html, render_markdown
from astrobench.report.tables import (
    LEADERBOARD_COLUMNS,
    leaderboard,
    leaderboard_columns,
    ranking_table,
)
from astrobench.tasks.base import Task, task_from_description
from astrobench.tasks.predictions import Predictions

FINDINGS_FILE = "findings.json"  # optional: headline findings written by `astrobench demo`


@dataclass
class Figure:
    """One embedded figure: a caption and its PNG bytes."""

    caption: str
    png: bytes
    name: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class TaskSection:
    """Everything the report shows about one (dataset, task)."""

    dataset: str
    task: str
    kind: str
    fraction: float
    leaderboard: list[dict[str, str]]
    figures: list[Figure] = field(default_factory=list)
    posterior: list[dict[str, str]] = field(default_factory=list)  # NLL/TARP/coverage table
    columns: tuple[str, ...] = LEADERBOARD_COLUMNS  # of the leaderboard (companion metrics too)


@dataclass
class ReportFiles:
    """Where the report was written."""

    markdown: Path
    html: Path
    figures: list[Path]


def report(results_dir: str | Path) -> ReportFiles:
    """Write report.md, report.html and figures/*.png into `results_dir` from its results."""
    folder = Path(results_dir)
    if not (folder / RESULTS_FILE).is_file():
        raise DataFormatError(
            f"{folder} holds no {RESULTS_FILE}", "run `astrobench bench SUITE.yaml --out DIR` first"
        )
    store = ResultsStore(folder)
    rows = store.rows()
    if not rows:
        raise DataFormatError(
            f"{folder / RESULTS_FILE} holds no results yet", "run the suite first"
        )
    context = build_context(folder, store, rows)
    figure_paths = _write_figures(folder, context)
    context["figure_files"] = {f.name: f"figures/{f.name}.png" for f in _all_figures(context)}
    markdown, html = folder / "report.md", folder / "report.html"
    with atomic_open(markdown) as handle:
        handle.write(render_markdown(context))
    with atomic_open(html) as handle:
        handle.write(render_html(context))
    return ReportFiles(markdown, html, figure_paths)


def build_context(folder: Path, store: ResultsStore, rows: list[ResultRow]) -> dict[str, Any]:
    """The data the templates render: tables, figures, provenance."""
    suite = _read_json(folder / "suite.json")
    groups = summarise(rows)
    sections = [_task_section(store, task_groups) for task_groups in _by_task(groups).values()]
    methods = sorted({r.energy_method for r in rows})
    return {
        "title": f"astrobench report — {rows[0].suite}",
        "suite": suite,
        "n_rows": len(rows),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "devices": sorted({r.device for r in rows}),
        "git_shas": sorted({r.git_sha for r in rows}),
        "versions": rows[-1].library_versions,
        "energy_methods": methods,
        "cost": suite.get("cost", {}),
        "columns": LEADERBOARD_COLUMNS,
        "findings": _read_json(folder / FINDINGS_FILE).get("findings", []),
        "ranking": ranking_table(iqm_ranking(rows)),
        "sections": sections,
        "maps": _map_figures(folder, suite),
        "grids": [
            Figure(caption, png, _slug(slug))
            for caption, png, slug in embedding_section.neighbour_grids(
                folder, list(suite.get("backbones", []))
            )
        ],
        "property_tables": property_tables(groups),
        "reconstructions": _reconstruction_figures(folder),
    }


def _by_task(groups: list[GroupSummary]) -> dict[tuple[str, str], list[GroupSummary]]:
    by_task: dict[tuple[str, str], list[GroupSummary]] = defaultdict(list)
    for group in groups:
        by_task[(group.dataset, group.task)].append(group)
    return by_task


def best_group(groups: list[GroupSummary]) -> GroupSummary:
    """The group with the best mean headline metric."""
    sign = 1.0 if groups[0].higher_is_better else -1.0
    return max(
        groups, key=lambda g: sign * g.headline.mean if np.isfinite(g.headline.mean) else -np.inf
    )


def _task_section(store: ResultsStore, groups: list[GroupSummary]) -> TaskSection:
    top_fraction = max(g.fraction for g in groups)
    at_top = [g for g in groups if g.fraction == top_fraction]
    first = groups[0]
    kind = first.rows[0].task_kind
    companions = [m for m in task_of_row(first.rows[0]).table_metrics if m != first.headline_metric]
    section = TaskSection(
        first.dataset,
        first.task,
        kind,
        top_fraction,
        leaderboard(at_top, companions),
        columns=leaderboard_columns(companions),
    )
    label = f"{first.dataset} / {first.task}"
    if len({g.fraction for g in groups}) > 1:
        png = figures.fraction_curves(groups, f"{label}: {first.headline_metric} vs label fraction")
        section.figures.append(
            Figure(
                f"{label}: {first.headline_metric} vs label fraction "
                "(markers: mean over seeds; bars: min–max)",
                png,
                _slug(f"fractions_{label}"),
            )
        )
    best = best_group(at_top)
    row = best.rows[0]
    predictions = Predictions.load(store.predictions_file(row))
    what = f"{best.backbone} + {best.protocol}, fraction {best.fraction:g}, seed {row.seed}"
    task = task_of_row(row)
    scored = {f"{g.backbone} + {g.protocol}": _mean_metrics(g.rows) for g in at_top}
    for figure in [*task.compare_figures(scored, label), *task.figures(predictions, label, what)]:
        section.figures.append(Figure(figure.caption, figure.png, _slug(figure.slug)))
    _posterior_part(store, section, at_top, task, label)
    return section


def _posterior_part(
    store: ResultsStore, section: TaskSection, groups: list[GroupSummary], task: Task, label: str
) -> None:
    """Table and figures of the groups with posterior samples (flow and its baselines)."""
    found = posterior_section.posterior_groups(
        groups, lambda g: Predictions.load(store.predictions_file(g.rows[0]))
    )
    if not found:
        return
    section.posterior = posterior_section.posterior_table(found, task.columns)
    drawn = posterior_section.tarp_figures(found, label)
    drawn += posterior_section.pit_and_example_figures(found, task.columns, label)
    section.figures.extend(Figure(caption, png, _slug(slug)) for caption, png, slug in drawn)


def _mean_metrics(rows: list[ResultRow]) -> dict[str, float]:
    """Every metric of a group averaged over its rows (seeds)."""
    out: dict[str, float] = {}
    for name in {name for row in rows for name in row.metrics}:
        values = np.array([r.metrics.get(name, np.nan) for r in rows], dtype=np.float64)
        finite = values[np.isfinite(values)]
        out[name] = float(finite.mean()) if finite.size else float("nan")
    return out


def task_of_row(row: ResultRow) -> Task:
    """The task a stored row was scored by (rows of older versions: rebuilt from their kind)."""
    description = dict(row.config.get("task_spec") or {})
    description.setdefault("kind", row.task_kind)
    description.setdefault("columns", row.task.split(","))
    if "class_names" in description and description["class_names"] is None:
        description.pop("class_names")
    return task_from_description(description)


def _map_figures(folder: Path, suite: dict[str, Any]) -> list[Figure]:
    wanted = set(suite.get("backbones", []))
    with_properties = embedding_section.load_property_maps(folder, list(suite.get("backbones", [])))
    result = []
    for dataset, found in sorted(with_properties.items()):
        caption, png = embedding_section.property_map_figure(dataset, found)
        result.append(Figure(caption, png, _slug(f"property_maps_{dataset}")))
    by_dataset: dict[str, list[figures.EmbeddingMap]] = defaultdict(list)
    for path in sorted((folder / "maps").glob("*.npz")):
        with np.load(path) as stored:
            meta = json.loads(str(stored["meta"]))
            if (wanted and meta["backbone"] not in wanted) or meta["dataset"] in with_properties:
                continue
            by_dataset[meta["dataset"]].append(
                figures.EmbeddingMap(
                    meta["backbone"], meta["method"], stored["xy"], stored["colour"], meta["names"]
                )
            )
    order = {b: i for i, b in enumerate(suite.get("backbones", []))}
    for dataset, maps in sorted(by_dataset.items()):
        maps.sort(key=lambda m: order.get(m.backbone, len(order)))
        caption = f"{dataset}: 2-D map of each backbone's embeddings, coloured by class"
        result.append(
            Figure(caption, figures.embedding_maps_figure(maps, caption), _slug(f"maps_{dataset}"))
        )
    return result


# What each pretraining method's recon.png shows (the step folder holds METHOD.json).
RECONSTRUCTION_CAPTIONS = {
    "mae": "MAE reconstructions ({step}): input, masked input, reconstruction",
    "specformer": "SpecFormer ({step}): validation spectra with the masked spans filled in",
}


def _reconstruction_caption(step: Path) -> str:
    for method, caption in RECONSTRUCTION_CAPTIONS.items():
        if (step / f"{method}.json").is_file():
            return caption.format(step=step.name)
    return f"Reconstructions ({step.name})"


def _reconstruction_figures(folder: Path) -> list[Figure]:
    return [
        Figure(
            _reconstruction_caption(path.parent),
            path.read_bytes(),
            _slug(f"recon_{path.parent.name}"),
        )
        for path in sorted((folder / "pretrain").glob("*/recon.png"))
    ]


def _all_figures(context: dict[str, Any]) -> list[Figure]:
    found = [f for s in context["sections"] for f in s.figures]
    return found + context["maps"] + context["grids"] + context["reconstructions"]


def _write_figures(folder: Path, context: dict[str, Any]) -> list[Path]:
    from astrobench.atomic import write_bytes_atomic

    paths = []
    for figure in _all_figures(context):
        path = folder / "figures" / f"{figure.name}.png"
        write_bytes_atomic(path, figure.png)
        paths.append(path)
    return paths


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()
