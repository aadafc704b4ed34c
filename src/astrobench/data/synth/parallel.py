"""Simulate items 0..n-1 in order, in this process or a pool of workers.

Item i is a function of (context, i) only, and results come back in index order, so whatever is
written from them is byte-identical for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from astrobench.worker_guard import die_with_parent

TASK_CHUNK = 16
_WORKER: tuple[Callable[[Any, int], Any], Any] | None = None


def _init_worker(
    simulate: Callable[[Any, int], Any], context: Any, parent_pid: int | None = None
) -> None:
    global _WORKER
    if parent_pid is not None:  # a pool worker: it must not outlive a killed parent
        die_with_parent(parent_pid)
    _WORKER = (simulate, context)


def _simulate_range(bounds: tuple[int, int]) -> list[Any]:
    assert _WORKER is not None
    simulate, context = _WORKER
    return [simulate(context, i) for i in range(*bounds)]


def _ranges(n: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def simulate_in_order(
    simulate: Callable[[Any, int], Any], context: Any, n: int, workers: int
) -> Iterator[Any]:
    """`simulate(context, i)` for i = 0..n-1, in order; `simulate` must be a module-level
    function (picklable) and `context` picklable."""
    if workers <= 1:
        _init_worker(simulate, context)
        for bounds in _ranges(n, TASK_CHUNK):
            yield from _simulate_range(bounds)
        return
    method = "fork" if sys.platform == "linux" else "spawn"
    initargs = (simulate, context, os.getpid())
    pool = multiprocessing.get_context(method).Pool(workers, _init_worker, initargs)
    with pool:
        for chunk in pool.imap(_simulate_range, _ranges(n, TASK_CHUNK)):
            yield from chunk


def write_in_chunks(
    items: Iterator[Any],
    n: int,
    append: Callable[[list[Any], int], None],
    label: str,
    progress: bool,
    chunk: int = 256,
) -> int:
    """Hand `items` (in order) to `append(batch, first_index)` in batches of `chunk`, with a
    progress bar; return the total of the items' `redraws` (GalSim redraws, a file attribute)."""
    from astrobench.data.synth.progress import progress_bar

    buffer: list[Any] = []
    redraws = 0
    with progress_bar(n, label, enabled=progress) as advance:
        for position, item in enumerate(items):
            buffer.append(item)
            redraws += item.redraws
            if len(buffer) == chunk or position == n - 1:
                append(buffer, position + 1 - len(buffer))
                advance(len(buffer))
                buffer = []
    return redraws
