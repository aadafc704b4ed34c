"""Worker processes die with their parent.

A killed `bench --workers N` parent must not leave workers running cells and inserting rows into
a results store nobody watches. On Linux the kernel does it: prctl(PR_SET_PDEATHSIG, SIGKILL)
makes a worker receive SIGKILL the moment its parent thread exits. Elsewhere (and as a second
line on Linux) a daemon thread polls the parent's pid and exits the worker once it changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 1.0


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    return False


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)  # orphaned: the parent is gone, stop at once
        time.sleep(_POLL_SECONDS)


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker process: it ends when process `parent_pid` ends.

    Args:
        parent_pid: The pid of the process that started this worker (os.getpid() there).
    """
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
