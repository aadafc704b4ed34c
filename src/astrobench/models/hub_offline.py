"""Honour HF_HUB_OFFLINE set after huggingface_hub was imported (it reads it once, at import).

Without this, a process that sets the variable late (tests, notebooks) waits through the hub
client's retries before the offline error; with it, a missing download fails at once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_TRUE = {"1", "true", "yes", "on"}


@contextlib.contextmanager
def offline_if_asked() -> Iterator[None]:
    """Within the block, the hub client is offline when HF_HUB_OFFLINE says so now."""
    asked = os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE
    try:
        from huggingface_hub import constants
    except ImportError:
        yield
        return
    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = before or asked
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before
