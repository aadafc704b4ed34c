"""What HDF5 does on a full disk, and how a writer gets out of it cleanly.

HDF5 writes chunks when they leave its cache, often while Python frees an object, where an
error is only printed ("Exception ignored"); and a file whose flush failed stays open inside the
library. These helpers surface the swallowed errors and let an aborted file close.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import sys
from collections.abc import Iterator
from typing import Any

import h5py

from astrobench.disk import storage_failure


@contextlib.contextmanager
def surface_swallowed_write_errors() -> Iterator[None]:
    """Raise the write failures HDF5 reports while freeing objects (which Python only prints as
    "Exception ignored"): chunks are written when evicted from the cache, so a full disk often
    shows up there first."""
    # Only the text and errno are kept: holding the exception (its traceback references the
    # object being freed) would resurrect that object and crash the interpreter at exit.
    swallowed: list[tuple[int, str]] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if storage_failure(unraisable.exc_value) is not None:
            number = getattr(unraisable.exc_value, "errno", None) or errno.ENOSPC
            swallowed.append((int(number), " ".join(str(unraisable.exc_value).split())))
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
    if swallowed:
        raise OSError(*swallowed[0])


def free_aborted_file(h5: h5py.File) -> None:
    """Free the aborted file's blocks (truncate it to 0) so closing can flush its metadata."""
    with contextlib.suppress(Exception):
        os.ftruncate(int(h5.id.get_vfd_handle()), 0)


@contextlib.contextmanager
def file_size_limit_lifted() -> Iterator[None]:
    """Within the block, the soft file-size limit (ulimit -f) is raised to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == hard:
        yield
        return
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
