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
from astrobench.tasks.base import Task
from astrobench.tasks.posterior_scores import POSTERIOR_TABLE_METRICS


@dataclass
class ProbeReport:
    """Everything a probe produced: per-cell results, the seed summary, and where it was saved."""

    task: Task
    results: list[ProtocolResult]
    summary: list[dict[str, Any]]
    header: dict[str, Any]
    results_path: Path | None = None

    @property
    def shown_metrics(self) -> tuple[str, ...]:
        """The headline metric and its companions, for tables (and calibration, for posteriors)."""
        found = {name for result in self.results for name in result.metrics}
        calibration = tuple(m for m in POSTERIOR_TABLE_METRICS if m in found)
        return tuple(dict.fromkeys((*self.task.table_metrics, *calibration)))


def probe(
    backbone: str,
    data: str | Path,
    target: str,
    protocols: Sequence[str],
    fractions: Sequence[float] = (1.0,),
    seeds: Sequence[int] = (0,),
    *,
    task_kind: str | None = None,
    task_options: Mapping[str, Any] | None = None,
    n_per_class: Sequence[int] = (),
    out: Path | None = None,
    cache_dir: Path | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: bool = False,
    on_cell: CellCallback | None = None,
) -> ProbeReport:
    """Embed `data` with `backbone` once, then run protocols × fractions × seeds on `target`.

    `target` is one column or several, comma-separated (multi-output); `task_kind` forces a
    task kind. `settings` are the protocols' shared settings (`split_seed`, `embed: {...}`),
    checked against every protocol's settings model. With `out`, writes out/results.json and
    out/predictions/<protocol>_<fraction>_<seed>.npz. Raises MissingColumnError (absent
    target), UnknownNameError (protocol or backbone), ConfigError (a setting),
    InsufficientDataError (too few labelled objects for a fraction or a class).
    """
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.protocols.frozen_inputs import load_frozen_inputs
    from astrobench.protocols.ladder import frozen_protocols
    from astrobench.protocols.settings import validate_settings
    from astrobench.tasks.resolve import resolve_task

    raw = dict(settings or {})
    chosen = frozen_protocols(protocols)  # unknown names fail before any embedding work
    checked = [validate_settings(p.settings_model, raw, p.name) for p in chosen]
    with CutoutFile(data) as cutouts:
        task = resolve_task(cutouts, target, task_kind, task_options)
    cells = ladder_cells(protocols, fractions, seeds, n_per_class)
    common = checked[0]
    inputs = load_frozen_inputs(
        backbone,
        data,
        task,
        common.embed,
        common.split_seed,
        cache_dir,
        progress,
        split_scheme=common.split_scheme,
    )
    results = run_ladder(inputs, cells, raw, on_cell)
    header = {
        "backbone": backbone,
        "data": str(Path(data).resolve()),
        "target": task.target,
        "task": task.describe(),
        "split_seed": common.split_seed,
        "splits": {name: len(rows) for name, rows in inputs.splits.items()},
        "embedding": inputs.info,
        "settings": raw,
    }
    report = ProbeReport(task, results, summarise(results), header)
    if out is not None:
        report.results_path = write_ladder_outputs(out, results, header, task)
    return report
