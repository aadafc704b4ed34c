"""Mixed precision: autocast for bf16/fp16 and a GradScaler for fp16 (a no-op otherwise)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from astrobench.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """How forward passes run (`autocast()`) and how losses are scaled (`scaler`)."""

    def __init__(self, name: str, device: torch.device) -> None:
        if name not in ("fp32", "bf16", "fp16"):
            raise ConfigError(f"unknown precision {name!r}", "use fp32, bf16 or fp16")
        self.name = name
        self.device = device
        self.dtype = _DTYPES.get(name)
        # Only fp16 has a narrow exponent range that needs loss scaling.
        self.scaler = torch.amp.GradScaler(device.type, enabled=name == "fp16")

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Context in which forward passes run at this precision."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.dtype):
            yield
