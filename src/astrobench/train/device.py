"""Device selection: CUDA, then MPS, then CPU for "auto"; an explicit request must be available."""

from __future__ import annotations

import os

import torch

from astrobench.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """The torch.device for `name` ("auto", "cpu", "cuda", "mps").

    Under torchrun each process uses the GPU of its LOCAL_RANK.
    """
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif _mps_available():
            name = "mps"
        else:
            name = "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                "device 'cuda' requested but no CUDA GPU is available", "use --device cpu or auto"
            )
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        return torch.device("cuda", local_rank % max(torch.cuda.device_count(), 1))
    if name == "mps":
        if not _mps_available():
            raise ConfigError(
                "device 'mps' requested but MPS is not available", "use --device cpu or auto"
            )
        return torch.device("mps")
    if name == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"unknown device {name!r}", "use auto, cpu, cuda or mps")


def check_device(name: str) -> None:
    """Refuse, before any work, a device that is unknown or absent on this machine."""
    resolve_device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def peak_memory_bytes(device: torch.device) -> int:
    """Peak accelerator memory for CUDA; peak resident set size of this process otherwise."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
