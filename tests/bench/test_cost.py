"""Cost accounting: time, peak RAM, and the stated-power energy estimate."""

from __future__ import annotations

import time

import numpy as np
import pytest

from astrobench.bench.cost import CostMeter, estimate_energy
from astrobench.bench.suite import CostSpec


def test_estimate_is_time_times_power_times_intensity() -> None:
    spec = CostSpec(power_watts=100.0, carbon_kg_per_kwh=0.5)
    energy_kwh, co2_kg = estimate_energy(3600.0, spec)
    assert energy_kwh == pytest.approx(0.1)
    assert co2_kg == pytest.approx(0.05)


def test_meter_measures_time_and_peak_memory() -> None:
    spec = CostSpec(power_watts=50.0, use_codecarbon=False)
    with CostMeter(spec) as meter:
        baseline = np.ones(1)
        block = np.ones(200 * 1024 * 1024 // 8)  # 200 MB held for a moment
        time.sleep(0.3)
        del block, baseline
    report = meter.report
    assert report is not None
    assert report.wall_seconds >= 0.3
    assert report.peak_ram_bytes > 200 * 1024 * 1024
    assert report.energy_method == "estimated"
    assert report.energy_kwh == pytest.approx(report.wall_seconds * 50.0 / 3.6e6)


def test_without_a_stated_country_energy_is_estimated_and_flagged() -> None:
    """codecarbon (when installed) measures only for an explicit grid; never a silent default."""
    with CostMeter(CostSpec(power_watts=40.0)) as meter:
        time.sleep(0.05)
    assert meter.report is not None
    assert meter.report.energy_method == "estimated"


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("codecarbon") is None, reason="codecarbon not installed"
)
def test_codecarbon_measures_with_an_explicit_country() -> None:
    with CostMeter(CostSpec(country_iso_code="FRA")) as meter:
        a = np.random.default_rng(0).random((800, 800))
        start = time.perf_counter()
        while time.perf_counter() - start < 1.0:
            a @ a
    assert meter.report is not None
    assert meter.report.energy_method == "measured"
    assert meter.report.energy_kwh > 0
