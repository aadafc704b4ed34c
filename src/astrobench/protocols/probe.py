"""`probe`: a backbone's embeddings of a file through the frozen ladder, summarised and saved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astrobench.protocols.base import ProtocolResult
from astrobench.protocols.ladder import (
    CellCallback,
    ladder_cells,
    run_ladder,
    summarise,
    write_ladder_outputs,
)
from astrobench.tasks.task import TaskSpec

HEADLINE_EXTRAS = {
    "classification": ("f1_macro", "balanced_accuracy"),
    "photoz": ("outlier_fraction_0.15", "bias"),
    "regression": ("mse", "mae"),
}


@dataclass
class ProbeReport:
    """Everything a probe produced: per-cell results, the seed summary, and where it was saved."""

    task: TaskSpec
    results: list[ProtocolResult]
    summary: list[dict[str, Any]]
    header: dict[str, Any]
    results_path: Path | None = None

    @property
    def shown_metrics(self) -> tuple[str, ...]:
        """The headline metric and two companions, for tables."""
        return (self.task.headline_metric, *HEADLINE_EXTRAS[self.task.kind])


def probe(
    backbone: str,
    data: str | Path,
    target: str,
    protocols: Sequence[str],
    fractions: Sequence[float] = (1.0,),
    seeds: Sequence[int] = (0,),
    *,
    n_per_class: Sequence[int] = (),
    out: Path | None = None,
    cache_dir: Path | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: bool = False,
    on_cell: CellCallback | None = None,
) -> ProbeReport:
    """Embed `data` with `backbone` once, then run protocols × fractions × seeds on `target`.

    With `out`, writes out/results.json and out/predictions/<protocol>_<fraction>_<seed>.npz.
    Raises MissingColumnError (absent target), UnknownNameError (protocol or backbone),
    InsufficientDataError (too few labelled objects for a fraction or a class).
    """
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.protocols.embedding_inputs import load_frozen_inputs
    from astrobench.protocols.ladder import frozen_protocols
    from astrobench.tasks.task import task_for_column

    settings = dict(settings or {})
    with CutoutFile(data) as cutouts:
        task = task_for_column(cutouts, target)
    frozen_protocols(protocols)  # unknown names fail before any embedding work
    cells = ladder_cells(protocols, fractions, seeds, n_per_class)
    inputs = load_frozen_inputs(backbone, data, task, settings, cache_dir, progress)
    results = run_ladder(inputs, cells, settings, on_cell)
    header = {
        "backbone": backbone,
        "data": str(Path(data).resolve()),
        "target": target,
        "task": {
            "kind": task.kind,
            "headline_metric": task.headline_metric,
            "higher_is_better": task.higher_is_better,
            "n_classes": task.n_classes,
            "class_names": list(task.class_names or []),
        },
        "split_seed": int(settings.get("split_seed", 0)),
        "splits": {name: len(rows) for name, rows in inputs.splits.items()},
        "embedding": inputs.info,
        "settings": settings,
    }
    report = ProbeReport(task, results, summarise(results), header)
    if out is not None:
        report.results_path = write_ladder_outputs(out, results, header)
    return report
