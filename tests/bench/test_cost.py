"""Cost accounting: time, peak RAM, the stated-power estimate, and codecarbon's measured path.

No test depends on how fast the machine is: wall time comes from a fake clock, and codecarbon is
replaced by a fake module with its interface (OfflineEmissionsTracker: start(), stop() returning
kg CO2, final_emissions_data.energy_consumed in kWh), so the measured path runs in every run.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from astrobench.bench import cost
from astrobench.bench.cost import CostMeter, estimate_energy
from astrobench.bench.suite import CostSpec


class _FakeClock:
    """Stands in for the `time` module inside cost.py: perf_counter steps through `ticks`."""

    def __init__(self, *ticks: float) -> None:
        self._ticks: Iterator[float] = iter(ticks)

    def perf_counter(self) -> float:
        return next(self._ticks)


class _FakeEmissionsData:
    def __init__(self, energy_consumed: float) -> None:
        self.energy_consumed = energy_consumed


class FakeOfflineEmissionsTracker:
    """codecarbon.OfflineEmissionsTracker as astrobench uses it (codecarbon 2.x interface)."""

    instances: ClassVar[list[FakeOfflineEmissionsTracker]] = []

    def __init__(self, country_iso_code: str, save_to_file: bool = True, **kwargs: Any) -> None:
        self.country_iso_code = country_iso_code
        self.save_to_file = save_to_file
        self.kwargs = kwargs
        self.calls: list[str] = []
        self.final_emissions_data: _FakeEmissionsData | None = None
        FakeOfflineEmissionsTracker.instances.append(self)

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> float:
        self.calls.append("stop")
        self.final_emissions_data = _FakeEmissionsData(energy_consumed=0.0042)  # kWh
        return 0.0021  # kg CO2eq


@pytest.fixture
def fake_codecarbon(monkeypatch: pytest.MonkeyPatch) -> type[FakeOfflineEmissionsTracker]:
    module = types.ModuleType("codecarbon")
    module.__spec__ = importlib.machinery.ModuleSpec("codecarbon", None)
    module.OfflineEmissionsTracker = FakeOfflineEmissionsTracker  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "codecarbon", module)
    FakeOfflineEmissionsTracker.instances = []
    return FakeOfflineEmissionsTracker


def test_estimate_is_time_times_power_times_intensity() -> None:
    spec = CostSpec(power_watts=100.0, carbon_kg_per_kwh=0.5)
    energy_kwh, co2_kg = estimate_energy(3600.0, spec)
    assert energy_kwh == pytest.approx(0.1)
    assert co2_kg == pytest.approx(0.05)


def test_meter_measures_time_and_peak_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost, "time", _FakeClock(100.0, 112.5))
    spec = CostSpec(power_watts=50.0, carbon_kg_per_kwh=0.4, use_codecarbon=False)
    with CostMeter(spec) as meter:
        block = np.ones(200 * 1024 * 1024 // 8)  # 200 MB, resident until the meter stops
    del block
    report = meter.report
    assert report is not None
    assert report.wall_seconds == pytest.approx(12.5)
    assert report.peak_ram_bytes > 200 * 1024 * 1024
    assert report.energy_method == "estimated"
    assert report.energy_kwh == pytest.approx(12.5 * 50.0 / 3.6e6)
    assert report.co2_kg == pytest.approx(12.5 * 50.0 / 3.6e6 * 0.4)


def test_without_a_stated_country_energy_is_estimated_and_flagged(fake_codecarbon) -> None:
    """codecarbon (even when installed) measures only for an explicit grid, never a default."""
    with CostMeter(CostSpec(power_watts=40.0)) as meter:
        pass
    assert meter.report is not None
    assert meter.report.energy_method == "estimated"
    assert fake_codecarbon.instances == []


def test_codecarbon_disabled_is_not_used_even_with_a_country(fake_codecarbon) -> None:
    with CostMeter(CostSpec(country_iso_code="FRA", use_codecarbon=False)) as meter:
        pass
    assert meter.report is not None and meter.report.energy_method == "estimated"
    assert fake_codecarbon.instances == []


def test_codecarbon_measures_with_an_explicit_country(
    fake_codecarbon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cost, "time", _FakeClock(0.0, 30.0))
    with CostMeter(CostSpec(country_iso_code="FRA", power_watts=10.0)) as meter:
        (tracker,) = fake_codecarbon.instances
        assert tracker.calls == ["start"]  # started before the block runs
    assert tracker.calls == ["start", "stop"]
    assert tracker.country_iso_code == "FRA" and tracker.save_to_file is False
    report = meter.report
    assert report is not None
    assert report.energy_method == "measured"
    assert (report.energy_kwh, report.co2_kg) == (pytest.approx(0.0042), pytest.approx(0.0021))
    assert report.wall_seconds == pytest.approx(30.0)  # time is still measured


def test_codecarbon_without_emissions_data_reports_zero_energy(
    fake_codecarbon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracker that measured nothing (stop() gives None, no data) is 0, not a crash."""
    monkeypatch.setattr(FakeOfflineEmissionsTracker, "stop", lambda self: None)
    with CostMeter(CostSpec(country_iso_code="DEU")) as meter:
        pass
    assert meter.report is not None
    assert meter.report.energy_method == "measured"
    assert (meter.report.energy_kwh, meter.report.co2_kg) == (0.0, 0.0)


def test_missing_codecarbon_falls_back_to_the_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(cost, "time", _FakeClock(0.0, 36.0))
    with CostMeter(CostSpec(country_iso_code="FRA", power_watts=100.0)) as meter:
        pass
    assert meter.report is not None and meter.report.energy_method == "estimated"
    assert meter.report.energy_kwh == pytest.approx(0.001)


def test_library_versions_and_device_are_recorded() -> None:
    versions = cost.library_versions()
    assert versions["numpy"] == np.__version__ and "python" in versions
    assert cost.device_description().startswith(("cpu:", "cuda:"))
