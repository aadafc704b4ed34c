"""Run one cell of a suite: protocol, cost, bootstrap intervals, predictions file, result row.

`run_cell` is what a worker process executes. It writes the predictions file atomically first and
then inserts the row in one transaction, so a SIGKILL at any point leaves the store consistent:
the cell either has a complete row with its predictions, or no row and is run again next time.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.bench.cost import CostMeter, device_description, git_sha, library_versions
from astrobench.bench.store import ResultRow, ResultsStore, predictions_relpath
from astrobench.bench.suite import Cell, CostSpec
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.tasks.base import Task
from astrobench.tasks.posterior_scores import is_posterior_metric


@dataclass(frozen=True)
class CellJob:
    """Everything a worker needs to run one cell (picklable)."""

    cell: Cell
    data: Path
    backbone_spec: str  # resolved: `pretrained:<name>` became `ckpt:<path>`
    out: Path
    n_boot: int
    cost: CostSpec
    torch_threads: int | None = None


@dataclass(frozen=True)
class CellOutcome:
    """What happened to a cell: ok, or the one-line reason it failed."""

    config_hash: str
    ok: bool
    message: str = ""
    seconds: float = 0.0
    bug: bool = False  # failed with a non-user error (logged in full under failures/)


def run_cell(job: CellJob) -> CellOutcome:
    """Run the cell, store its predictions and row; failures come back as a message."""
    from astrobench.errors import AstrobenchError, StorageError

    try:
        seconds = _run_and_store(job)
    except StorageError:
        raise  # a full disk or read-only folder fails every cell: stop the grid
    except AstrobenchError as error:
        return CellOutcome(job.cell.config_hash, False, error.one_line())
    except Exception as error:  # a bug in one cell must not sink the whole grid; logged in full
        _log_failure(job, error)
        return CellOutcome(
            job.cell.config_hash, False, f"{type(error).__name__}: {error}", bug=True
        )
    return CellOutcome(job.cell.config_hash, True, seconds=seconds)


def _run_and_store(job: CellJob) -> float:
    import torch

    from astrobench.data.cutout_file import open_cutouts
    from astrobench.registry import PROTOCOLS
    from astrobench.tasks.resolve import resolve_task

    if job.torch_threads:
        torch.set_num_threads(job.torch_threads)
    cell = job.cell
    protocol = PROTOCOLS.get(cell.protocol)
    with open_cutouts(job.data) as cutouts:
        task = resolve_task(cutouts, cell.target, cell.task_kind, cell.task_options)
    work_dir = job.out / "work" / cell.run_id
    request = ProtocolRequest(
        backbone=job.backbone_spec,
        data=job.data,
        task=task,
        fraction=cell.fraction,
        seed=cell.seed,
        settings=dict(cell.settings),
        work_dir=work_dir,
        cache_dir=job.out / "cache",
    )
    with CostMeter(job.cost) as meter:
        result = protocol(request)
    assert meter.report is not None
    intervals = bootstrap_intervals(task, result, job.n_boot, cell.seed)
    relpath = predictions_relpath(cell.run_id)
    result.save_predictions(job.out / relpath, task)
    row = _result_row(job, task, result, intervals, relpath, meter)
    ResultsStore(job.out).insert(row)
    shutil.rmtree(work_dir, ignore_errors=True)
    return meter.report.wall_seconds


def bootstrap_intervals(
    task: Task, result: ProtocolResult, n_boot: int, seed: int
) -> dict[str, list[float]]:
    """95 % percentile-bootstrap intervals (over the task's resampling unit) of its key metrics."""
    from astrobench.metrics.stats import bootstrap_intervals as intervals_of

    names = [name for name in task.interval_metrics if name in result.metrics]
    if n_boot <= 0 or not names:
        return {}
    predictions = result.predictions
    if not any(is_posterior_metric(name) for name in names):
        # posterior metrics cost ~0.1-0.3 s per resample; leave them out when none is asked for
        predictions = dataclasses.replace(predictions, samples=None)

    def score_rows(rows: np.ndarray) -> dict[str, float]:
        return task.score(predictions.take(rows))

    found = intervals_of(score_rows, len(predictions), names, n_boot, 0.95, seed)
    return {name: [low, high] for name, (low, high) in found.items()}


def _result_row(
    job: CellJob,
    task: Task,
    result: ProtocolResult,
    intervals: dict[str, list[float]],
    relpath: str,
    meter: CostMeter,
) -> ResultRow:
    cell, cost = job.cell, meter.report
    assert cost is not None
    config: dict[str, Any] = {
        **cell.config,
        "resolved_backbone": job.backbone_spec,
        "task_spec": task.describe(),
        "hyperparameters": result.hyperparameters,
    }
    return ResultRow(
        config_hash=cell.config_hash,
        run_id=cell.run_id,
        suite=cell.suite,
        dataset=cell.dataset,
        task=cell.target,
        task_kind=task.kind,
        backbone=cell.backbone,
        protocol=cell.label or cell.protocol,
        fraction=cell.fraction,
        seed=cell.seed,
        headline_metric=task.headline_metric,
        higher_is_better=task.higher_is_better,
        metrics={k: float(v) for k, v in result.metrics.items()},
        intervals=intervals,
        params_total=int(result.params_total),
        params_trainable=int(result.params_trainable),
        train_seconds=float(result.train_seconds),
        eval_seconds=float(result.eval_seconds),
        throughput_per_second=float(result.throughput_per_second),
        peak_ram_bytes=int(max(cost.peak_ram_bytes, result.peak_memory_bytes)),
        peak_gpu_bytes=int(cost.peak_gpu_bytes),
        energy_kwh=cost.energy_kwh,
        co2_kg=cost.co2_kg,
        energy_method=cost.energy_method,
        device=device_description(),
        library_versions=library_versions(),
        git_sha=git_sha(),
        config=config,
        predictions_path=relpath,
        n_train=int(result.n_train),
        n_test=int(result.n_test),
        timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        extra={"wall_seconds": cost.wall_seconds, **_jsonable(result.extra)},
    )


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(extra, default=str))


def _log_failure(job: CellJob, error: BaseException) -> None:
    import traceback

    from astrobench.atomic import atomic_open

    with atomic_open(job.out / "failures" / f"{job.cell.run_id}.txt") as handle:
        handle.write(f"{job.cell.config}\n\n")
        handle.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
