"""Honour HF_HUB_OFFLINE set after huggingface_hub was imported (it reads it once, at import).

Without this, a process that sets the variable late (tests, notebooks) waits through the hub
client's retries before the offline error; with it, a missing download fails at once.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

_TRUE = {"1", "true", "yes", "on"}


_reachable: dict[str, bool] = {}


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the hub's host answers a TCP connection (checked once per process).

    Without this check an offline machine waits through the hub client's retries (22 lines over
    about a minute) before the one-line error; with it, the client is told it is offline.
    """
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urlparse(endpoint).hostname or "huggingface.co"
    if host not in _reachable:
        try:
            with socket.create_connection((host, 443), timeout=timeout_s):
                _reachable[host] = True
        except Exception:  # DNS failure, refused, timeout, or a sandbox that forbids it
            _reachable[host] = False
    return _reachable[host]


@contextlib.contextmanager
def offline_if_asked() -> Iterator[None]:
    """Within the block, the hub client is offline when HF_HUB_OFFLINE says so now, or when
    the hub cannot be reached at all."""
    asked = os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE
    asked = asked or not hub_reachable()
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
