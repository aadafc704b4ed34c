"""What a cell cost: wall time, peak RAM and GPU memory, energy and CO2.

Energy comes from codecarbon's offline tracker (explicit country code, no network) when it is
installed and enabled; otherwise it is estimated as measured seconds x a stated power x a stated
carbon intensity, and the row says "estimated".
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

from astrobench.bench.suite import CostSpec
from astrobench.versions import library_versions

__all__ = ["library_versions"]  # re-exported for bench.cell

_SAMPLE_INTERVAL_SECONDS = 0.05
_JOULES_PER_KWH = 3.6e6


@dataclass
class CostReport:
    """Measured cost of one block of work."""

    wall_seconds: float
    peak_ram_bytes: int
    peak_gpu_bytes: int
    energy_kwh: float
    co2_kg: float
    energy_method: str  # "measured" | "estimated"


def estimate_energy(wall_seconds: float, spec: CostSpec) -> tuple[float, float]:
    """(kWh, kg CO2) from time at the stated power and carbon intensity."""
    energy_kwh = wall_seconds * spec.power_watts / _JOULES_PER_KWH
    return energy_kwh, energy_kwh * spec.carbon_kg_per_kwh


class _PeakRamSampler(threading.Thread):
    """Samples this process's resident memory until stopped; keeps the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self._process = psutil.Process(os.getpid())
        self._stop_event = threading.Event()
        self.peak_bytes = self._process.memory_info().rss

    def run(self) -> None:
        while not self._stop_event.wait(_SAMPLE_INTERVAL_SECONDS):
            self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return max(self.peak_bytes, self._process.memory_info().rss)


class CostMeter:
    """Context manager measuring the block it wraps: `with CostMeter(spec) as meter: ...`."""

    def __init__(self, spec: CostSpec | None = None) -> None:
        self.spec = spec or CostSpec()
        self.report: CostReport | None = None
        self._tracker: object | None = None

    def __enter__(self) -> CostMeter:
        self._sampler = _PeakRamSampler()
        self._sampler.start()
        _reset_gpu_peak()
        self._tracker = _start_codecarbon(self.spec)
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        wall_seconds = time.perf_counter() - self._start
        peak_ram = self._sampler.stop()
        measured = _stop_codecarbon(self._tracker)
        if measured is not None:
            energy_kwh, co2_kg, method = measured[0], measured[1], "measured"
        else:
            energy_kwh, co2_kg = estimate_energy(wall_seconds, self.spec)
            method = "estimated"
        self.report = CostReport(wall_seconds, peak_ram, _gpu_peak(), energy_kwh, co2_kg, method)


def _start_codecarbon(spec: CostSpec) -> object | None:
    if (
        not spec.use_codecarbon
        or spec.country_iso_code is None
        or importlib.util.find_spec("codecarbon") is None
    ):
        return None
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    tracker = OfflineEmissionsTracker(
        country_iso_code=spec.country_iso_code, save_to_file=False, log_level="error"
    )
    tracker.start()
    return tracker


def _stop_codecarbon(tracker: object | None) -> tuple[float, float] | None:
    if tracker is None:
        return None
    co2_kg = tracker.stop()  # type: ignore[attr-defined]
    data = getattr(tracker, "final_emissions_data", None)
    energy_kwh = float(getattr(data, "energy_consumed", 0.0) or 0.0)
    return energy_kwh, float(co2_kg or 0.0)


def _reset_gpu_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _gpu_peak() -> int:
    import torch

    return int(torch.cuda.max_memory_allocated()) if torch.cuda.is_available() else 0


def device_description() -> str:
    """The device cells run on, in words (GPU name, or CPU model and core count)."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)}"
    cpu = platform.processor() or platform.machine()
    return f"cpu:{cpu} x{os.cpu_count()} ({torch.get_num_threads()} threads)"


def git_sha(folder: Path | None = None) -> str:
    """The commit of the source tree astrobench runs from, or "unknown" outside a git checkout."""
    here = folder or Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"
