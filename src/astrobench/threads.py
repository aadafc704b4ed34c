"""`thread_limit`: run a block with n torch and BLAS threads, then restore the previous counts.

Oversubscribed cores make OpenMP thread pools spin against each other: on a busy 2-core machine
one thread was 5x faster than two for a small ViT and many times faster for small head fits, so
suites, probes and bench workers pin the count with this one helper.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def thread_limit(n_threads: int | None) -> Iterator[None]:
    """`n_threads` torch and BLAS threads inside the block (None: leave them as they are)."""
    if n_threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, n_threads))
    try:
        with threadpool_limits(limits=max(1, n_threads)):  # NumPy's BLAS too
            yield
    finally:
        torch.set_num_threads(previous)
