"""A cell function for worker-process tests: records its pid, then sleeps (picklable)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def record_pid_and_sleep(folder: str, job: object = None) -> None:
    """Write this worker's pid under `folder`, then sleep far longer than any test waits."""
    (Path(folder) / f"worker-{os.getpid()}").write_text(str(os.getpid()))
    time.sleep(120)
