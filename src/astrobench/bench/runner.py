"""Run a suite into a results folder: data, pretraining, every cell, embedding maps.

Layout of the folder DIR:
  DIR/results.sqlite          one row per finished cell (WAL)
  DIR/predictions/<id>.npz    each cell's test predictions
  DIR/data/<name>-<hash>.h5   synthetic surveys the suite declares (reused while unchanged)
  DIR/pretrain/<name>-<hash>/ pretrained encoders (reused while the recipe is unchanged)
  DIR/cache/                  the embedding cache shared by every frozen protocol
  DIR/maps/                   2-D maps of each backbone's embeddings, for the report
  DIR/grids/                  neighbour grids of each image-spectrum encoder pair, for the report
  DIR/suite.json              the suite as run

Re-running skips cells whose row exists; a killed run loses at most the cells in flight.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from astrobench.atomic import write_json_atomic
from astrobench.bench.artifacts import (
    check_targets,
    prepare_datasets,
    resolve_backbones,
    write_embedding_maps,
)
from astrobench.bench.cell import CellJob, CellOutcome, run_cell
from astrobench.bench.grids import write_neighbour_grids
from astrobench.bench.store import ResultsStore
from astrobench.bench.suite import Cell, Suite, expand_grid, load_suite
from astrobench.errors import ConfigError
from astrobench.out_lock import locked_output
from astrobench.threads import thread_limit
from astrobench.worker_guard import die_with_parent

EXECUTORS = ("local", "ray")
Say = Callable[[str], None]


@dataclass
class RunSummary:
    """What a run did: cells in the grid, skipped (already done), run now, and failures."""

    out: Path
    n_cells: int
    n_skipped: int
    n_run: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    n_bugs: int = 0  # failures that were not user errors

    @property
    def ok(self) -> bool:
        return not self.failures


def bench(
    suite: Suite | str | Path,
    out: str | Path,
    *,
    workers: int = 1,
    executor: str = "local",
    progress: bool = True,
    maps: bool = True,
    overrides: list[str] | None = None,
) -> RunSummary:
    """Run every unfinished cell of `suite` into folder `out` and return a summary.

    Args:
        suite: a Suite, or the path of a suite YAML file.
        out: the results folder (created; reused on a re-run).
        workers: cells run at once, each in its own process (1: in this process).
        executor: "local" (a process pool) or "ray" (needs ray installed).
        progress: print progress lines and show a progress bar on a terminal.
        maps: also write 2-D embedding maps for the report.
        overrides: `KEY=VALUE` changes to a suite read from a file (bench/suite_overrides.py).
    """
    started = time.perf_counter()
    if isinstance(suite, Suite) and overrides:
        raise ConfigError("overrides apply to a suite file, not to a Suite object")
    suite = suite if isinstance(suite, Suite) else load_suite(suite, overrides)
    out = Path(out)
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}", f"use one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if executor == "ray":
        _require_ray()  # before anything is written or generated
    say = _printer(progress)
    with locked_output(out, "bench"), thread_limit(suite.torch_threads):
        summary = _run(suite, out, workers, executor, say, progress, maps)
    summary.seconds = time.perf_counter() - started
    say(f"done in {summary.seconds:.0f} s; {len(summary.failures)} failed; results in {out}")
    return summary


def _run(
    suite: Suite, out: Path, workers: int, executor: str, say: Say, progress: bool, maps: bool
) -> RunSummary:
    store = ResultsStore(out)
    write_json_atomic(out / "suite.json", suite.model_dump(mode="json"))
    data_paths = prepare_datasets(suite, out, say=say, progress=progress)
    check_targets(suite, data_paths)  # a missing column or unsuitable kind: before any work
    backbone_specs = resolve_backbones(suite, out, data_paths, say=say, progress=progress)
    cells = expand_grid(suite)
    done = store.finished_hashes()
    todo = [c for c in cells if c.config_hash not in done]
    summary = RunSummary(out, len(cells), len(cells) - len(todo))
    say(f"{len(cells)} cells: {summary.n_skipped} already done, {len(todo)} to run")
    threads = _threads_per_worker(workers)
    jobs = [
        CellJob(
            c,
            data_paths[c.dataset],
            backbone_specs[c.backbone],
            out,
            suite.n_boot,
            suite.cost,
            threads,
        )
        for c in todo
    ]
    for cell, outcome in zip_outcomes(todo, _execute(jobs, workers, executor), say, progress):
        summary.n_run += 1
        if not outcome.ok:
            summary.failures.append(f"{_describe(cell)}: {outcome.message}")
            summary.n_bugs += int(outcome.bug)
    if maps:
        write_embedding_maps(suite, out, data_paths, backbone_specs, say=say)
        write_neighbour_grids(suite, out, data_paths, backbone_specs, say=say)
    return summary


def _execute(jobs: list[CellJob], workers: int, executor: str) -> Iterator[CellOutcome]:
    """Outcomes in job order; the store is written inside each job, as it finishes."""
    if not jobs:
        return
    if executor == "ray":
        yield from _execute_ray(jobs, workers)
    elif workers == 1:
        yield from (run_cell(job) for job in jobs)
    else:
        yield from _execute_pool(jobs, workers)


def _execute_pool(
    jobs: list[CellJob], workers: int, cell_fn: Callable[[CellJob], CellOutcome] = run_cell
) -> Iterator[CellOutcome]:
    """Local worker processes. A worker that dies (out of memory, a crash in native code) breaks
    the pool: the cells it took and those not yet run are reported failed — a re-run retries
    them — instead of the whole grid stopping without its summary."""
    # spawn, not fork: forking a process that has started torch's thread pools can deadlock.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=die_with_parent,  # a killed parent takes its workers with it
        initargs=(os.getpid(),),
    ) as pool:
        futures = [pool.submit(cell_fn, job) for job in jobs]
        for job, future in zip(jobs, futures, strict=True):
            try:
                yield future.result()
            except BrokenProcessPool:
                message = "a worker process died (out of memory?); re-run to retry this cell"
                yield CellOutcome(job.cell.config_hash, False, message)


def _require_ray() -> None:
    """Fail with one line when ray is asked for but not installed."""
    try:
        import ray  # noqa: F401
    except ImportError as error:
        raise ConfigError(
            "--executor ray needs ray, which is not installed", "pip install 'astrobench[ray]'"
        ) from error


def _execute_ray(jobs: list[CellJob], workers: int) -> Iterator[CellOutcome]:
    """Run the jobs as ray tasks of one CPU each; a local ray started here is shut down after.

    A task that ray itself fails (worker killed, out of memory, ...) becomes a failed cell, as a
    cell's own exception does, so one bad cell cannot sink the grid; a re-run retries it.
    """
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        # Under RAY_ADDRESS ray joins that cluster, which then sets the CPUs itself.
        cpus = None if os.environ.get("RAY_ADDRESS") else workers
        ray.init(
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    try:
        remote = ray.remote(num_cpus=1)(run_cell)
        futures = [remote.remote(job) for job in jobs]
        for job, future in zip(jobs, futures, strict=True):
            try:
                yield ray.get(future)
            except ray.exceptions.RayError as error:
                first_line = (str(error).strip().splitlines() or [""])[0]
                message = f"ray: {type(error).__name__}: {first_line}"
                yield CellOutcome(job.cell.config_hash, False, message)
    finally:
        if started_here:
            ray.shutdown()


def zip_outcomes(
    cells: list[Cell], outcomes: Iterable[CellOutcome], say: Say, progress: bool
) -> Iterator[tuple[Cell, CellOutcome]]:
    """Pair cells with outcomes, reporting each one as it arrives: a line per cell, under a
    rich progress bar (cells done, elapsed, remaining) when stderr is a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    total = len(cells)
    show_bar = progress and sys.stderr.isatty()
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(
        *columns, console=Console(stderr=True), disable=not show_bar, transient=True
    ) as bar:
        task = bar.add_task("cells", total=total)
        for index, (cell, outcome) in enumerate(zip(cells, outcomes, strict=False), start=1):
            state = f"{outcome.seconds:.1f} s" if outcome.ok else f"FAILED: {outcome.message}"
            line = f"[{index}/{total}] {_describe(cell)}  {state}"
            if show_bar:
                bar.console.print(line, markup=False, highlight=False)
            else:
                say(line)
            bar.advance(task)
            yield cell, outcome


def _describe(cell: Cell) -> str:
    return (
        f"{cell.dataset}/{cell.target} {cell.backbone} {cell.protocol} "
        f"f={cell.fraction:g} seed={cell.seed}"
    )


def _threads_per_worker(workers: int) -> int | None:
    if workers == 1:
        return None
    return max(1, (os.cpu_count() or 1) // workers)


def _printer(progress: bool) -> Say:
    # Progress goes to stdout: stderr carries only errors (at most two lines, docs/reliability.md).
    def say(message: str) -> None:
        if progress:
            print(message, flush=True)

    return say
