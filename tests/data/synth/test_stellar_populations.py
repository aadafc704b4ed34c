"""Mass-weighted ages and metallicities: the star-formation histories against closed forms, and
the catalog columns against the physics they encode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.synth.cosmology import planck18_table
from astrobench.data.synth.seds import TEMPLATE_LOG_SSFR
from astrobench.data.synth.stellar_populations import (
    FORMATION_GYR,
    history_rate,
    log_metallicity_mw,
    mass_weighted_age,
    mass_weighted_age_gyr,
    ssfr_per_gyr,
    template_ages_gyr,
)


@pytest.mark.parametrize("gamma", [-1.3, -0.2, 0.0, 0.4])
def test_mass_weighted_age_matches_the_closed_form(gamma: float) -> None:
    t = 9.0
    if gamma == 0.0:
        expected = t / 2
    else:  # mean of u under exp(-gamma u) on [0, t]
        expected = 1 / gamma - t * np.exp(-gamma * t) / (1 - np.exp(-gamma * t))
    assert mass_weighted_age(gamma, t) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("log_ssfr", list(TEMPLATE_LOG_SSFR))
def test_each_template_history_has_the_templates_ssfr(log_ssfr: float) -> None:
    gamma = history_rate(log_ssfr, 12.0)
    assert ssfr_per_gyr(gamma, 12.0) == pytest.approx(10 ** (log_ssfr + 9), rel=1e-6)


def test_template_ages_fall_with_activity_and_with_redshift() -> None:
    now, then = template_ages_gyr(13.8), template_ages_gyr(6.0)
    assert np.all(np.diff(now) < 0) and np.all(then < now) and np.all(now < 13.8 - FORMATION_GYR)
    mix = np.array([2.0, 0.0, 0.0, 1.0])
    assert mass_weighted_age_gyr(mix, 13.8) == pytest.approx((2 * now[0] + now[3]) / 3)
    assert log_metallicity_mw(11.0, 9.0, 13.8) > log_metallicity_mw(9.0, 9.0, 13.8)


def test_catalog_ages_and_metallicities_follow_the_physics(sdss_300: Path) -> None:
    with CutoutFile(sdss_300) as f:
        age, log_z = f.column("age_mw_gyr"), f.column("log_zmw")
        mass, ssfr, z = f.column("log_mstar"), f.column("log_ssfr"), f.column("redshift")
    cosmic = np.array([planck18_table().age(v) for v in z])
    assert np.all(age > 0) and np.all(age < cosmic - FORMATION_GYR)
    assert spearmanr(age, ssfr).statistic < -0.8  # star-forming galaxies are young
    assert spearmanr(log_z, mass).statistic > 0.8  # the mass-metallicity relation
    assert log_z.min() > -1.0 and log_z.max() < 0.5
