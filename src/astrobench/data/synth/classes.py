"""One builder per Galaxy10 DECaLS class (same order as `morphology.CLASS_NAMES`)."""

from __future__ import annotations

import galsim
import numpy as np

from astrobench.data.synth.morphology import (
    GSPARAMS,
    ClassBuilder,
    Part,
    Sizes,
    Structure,
    add_part,
    disk_galaxy,
    inclined_disk,
    knot_sum,
    project,
    sersic,
    smooth_galaxy,
    spiral_arms,
    star_forming_knots,
)

# Typical disk SED activity (0 = E template, 1 = Im) of each class: (low, high) of a uniform draw.
CLASS_ACTIVITY = (
    (0.35, 0.95),
    (0.2, 0.85),
    (0.0, 0.12),
    (0.0, 0.2),
    (0.0, 0.25),
    (0.3, 0.7),
    (0.25, 0.6),
    (0.45, 0.95),
    (0.35, 0.85),
    (0.2, 0.6),
)
# Mean V-band dust attenuation (mag) of each class; edge-on disks are the dustiest.
CLASS_MEAN_AV = (0.5, 0.4, 0.08, 0.1, 0.2, 0.4, 0.35, 0.45, 0.9, 0.8)
# Rest-frame r luminosity offset (mag) of each class from the survey luminosity function.
CLASS_MAGNITUDE_OFFSET = (0.2, -0.2, -0.4, -0.3, -0.1, -0.1, 0.0, 0.3, 0.2, -0.1)


def disturbed(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Lopsided disk with bright off-centre clumps and an offset, sheared plume of debris."""
    s = disk_galaxy(
        rng,
        sizes,
        cos_incl=rng.uniform(0.3, 1.0),
        bulge_fraction=rng.uniform(0, 0.3),
        n_options=(1.0, 1.5, 2.0),
        activity=activity,
    )
    r_d = sizes.disk_hlr_arcsec
    centre = rng.normal(0.0, 0.6 * r_d, 2)
    add_part(
        s,
        star_forming_knots(rng, int(rng.integers(3, 9)), 0.8 * r_d, centre),
        rng.uniform(0.15, 0.35),
        min(activity + 0.3, 1.0),
        True,
    )
    plume = galsim.Exponential(half_light_radius=1.6 * r_d, gsparams=GSPARAMS)
    angle = rng.uniform(0, 2 * np.pi)
    plume = plume.shear(g=rng.uniform(0.3, 0.6), beta=angle * galsim.radians)
    plume = plume.shift(0.9 * r_d * np.cos(angle), 0.9 * r_d * np.sin(angle))
    add_part(s, plume, rng.uniform(0.15, 0.3), activity, False)
    return s


def merging(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Two nuclei of comparable brightness joined by tidal tails."""
    s = disk_galaxy(
        rng,
        sizes,
        cos_incl=rng.uniform(0.3, 1.0),
        bulge_fraction=rng.uniform(0.1, 0.7),
        n_options=(2.0, 2.5, 3.0, 4.0),
        activity=activity,
    )
    r_d = sizes.disk_hlr_arcsec
    sep = min(rng.uniform(1.0, 2.4) * r_d, sizes.max_offset_arcsec)
    angle = rng.uniform(0, 2 * np.pi)
    offset = sep * np.array([np.cos(angle), np.sin(angle)])
    ratio = rng.uniform(0.3, 1.0)
    s.extra["companion_flux_ratio"] = ratio
    companion = sersic(float(rng.choice([1.0, 1.5, 2.5, 4.0])), rng.uniform(0.5, 1.0) * r_d)
    companion = companion.shear(q=rng.uniform(0.5, 1.0), beta=rng.uniform(0, 180) * galsim.degrees)
    s.parts.append(Part(companion.shift(*offset), ratio, rng.uniform(0.1, 0.8), True, main=False))
    for sign, start in ((1.0, np.zeros(2)), (-1.0, offset)):
        t = np.linspace(0.3, 1.0, 10)
        bend = sign * rng.uniform(1.0, 2.2)
        phi = angle + np.pi * (sign < 0) + bend * t
        xy = start + 2.2 * sep * t[:, None] * np.stack([np.cos(phi), np.sin(phi)], 1)
        tail = knot_sum(xy, 0.25 * r_d + 0.2 * r_d * t, np.exp(-2 * t))
        add_part(s, tail, rng.uniform(0.04, 0.1), activity, True)
    return s


def round_smooth(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Round de Vaucouleurs-like elliptical."""
    return smooth_galaxy(rng, sizes, rng.uniform(0.72, 1.0), (3.0, 4.0, 4.0), 0.0)


def in_between_smooth(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Moderately flattened spheroid, sometimes with a faint disk."""
    share = rng.uniform(0.0, 0.35) if rng.random() < 0.5 else 0.0
    return smooth_galaxy(rng, sizes, rng.uniform(0.45, 0.8), (2.0, 2.5, 3.0, 4.0), share)


def cigar_smooth(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Strongly elongated smooth spheroid (or S0 seen edge-on)."""
    share = rng.uniform(0.0, 0.5)
    return smooth_galaxy(rng, sizes, rng.uniform(0.15, 0.42), (1.5, 2.0, 2.5, 3.0), share)


def add_arms(
    s: Structure, arms: galsim.GSObject, cos_i: float, share: float, activity: float
) -> None:
    """Spiral arms (a face-on model) projected like their disk, more star-forming than it."""
    add_part(s, project(arms, cos_i, s.position_angle_deg), share, min(activity + 0.3, 1), True)


def barred_spiral(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Bulge, bar and two arms that start at the bar ends."""
    cos_i = rng.uniform(0.5, 1.0)
    s = disk_galaxy(
        rng,
        sizes,
        cos_incl=cos_i,
        bulge_fraction=rng.uniform(0.05, 0.35),
        n_options=(1.0, 1.5, 2.0, 2.5),
        activity=activity,
    )
    r_d = sizes.disk_hlr_arcsec
    bar_length = rng.uniform(0.5, 0.9) * r_d
    bar_angle = rng.uniform(0, 180)
    bar = galsim.Gaussian(sigma=0.5 * bar_length, gsparams=GSPARAMS)
    bar = bar.shear(q=rng.uniform(0.18, 0.35), beta=0 * galsim.degrees).rotate(
        bar_angle * galsim.degrees
    )
    pitch = rng.normal(18, 6)
    arms = spiral_arms(rng, r_d, pitch, 2, bar_length).rotate(bar_angle * galsim.degrees)
    bar_share = rng.uniform(0.06, 0.2)
    add_part(s, project(bar, cos_i, s.position_angle_deg), bar_share, 0.15, False)
    add_arms(s, arms, cos_i, rng.uniform(0.2, 0.4), activity)
    s.extra.update(bar_share=bar_share, pitch_deg=pitch, arm_count=2.0)
    return s


def tight_spiral(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Bulgier spiral with small pitch angle (arms wound 1.5-2 turns)."""
    cos_i = rng.uniform(0.45, 1.0)
    s = disk_galaxy(
        rng,
        sizes,
        cos_incl=cos_i,
        bulge_fraction=rng.uniform(0.1, 0.45),
        n_options=(2.0, 2.5, 3.0, 4.0),
        activity=activity,
    )
    r_d = sizes.disk_hlr_arcsec
    pitch = rng.normal(11, 3.5)
    arms = spiral_arms(rng, r_d, pitch, 2, 0.35 * r_d)
    add_arms(s, arms, cos_i, rng.uniform(0.2, 0.4), activity)
    s.extra.update(pitch_deg=pitch, arm_count=2.0)
    return s


def loose_spiral(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    """Disk-dominated spiral with open arms and star-forming clumps."""
    cos_i = rng.uniform(0.45, 1.0)
    s = disk_galaxy(
        rng,
        sizes,
        cos_incl=cos_i,
        bulge_fraction=rng.uniform(0.0, 0.2),
        n_options=(1.0, 1.5, 2.0),
        activity=activity,
    )
    r_d = sizes.disk_hlr_arcsec
    pitch = rng.normal(26, 6)
    n_arms = int(rng.choice([2, 2, 3]))
    arms = spiral_arms(rng, r_d, pitch, n_arms, 0.3 * r_d)
    add_arms(s, arms, cos_i, rng.uniform(0.3, 0.5), activity)
    s.extra.update(pitch_deg=pitch, arm_count=float(n_arms))
    knots = star_forming_knots(rng, int(rng.integers(3, 10)), 1.0 * r_d, np.zeros(2))
    add_part(s, project(knots, cos_i, s.position_angle_deg), rng.uniform(0.03, 0.1), 1.0, True)
    return s


def edge_on_disk(rng: np.random.Generator, sizes: Sizes, activity: float, bulge: bool) -> Structure:
    """Thin disk at inclination 82-90 degrees, with or without a prominent bulge."""
    cos_i = float(np.cos(np.radians(rng.uniform(82.0, 90.0))))
    if bulge:
        s = disk_galaxy(
            rng,
            sizes,
            cos_incl=cos_i,
            bulge_fraction=rng.uniform(0.2, 0.55),
            n_options=(2.5, 3.0, 4.0),
            activity=activity,
            h_over_r=rng.uniform(0.08, 0.15),
        )
    else:
        s = disk_galaxy(
            rng,
            sizes,
            cos_incl=cos_i,
            bulge_fraction=rng.uniform(0.0, 0.06),
            n_options=(1.0, 1.5),
            activity=activity,
            h_over_r=rng.uniform(0.06, 0.12),
        )
    return s


def _edge_on_without_bulge(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    return edge_on_disk(rng, sizes, activity, bulge=False)


def _edge_on_with_bulge(rng: np.random.Generator, sizes: Sizes, activity: float) -> Structure:
    return edge_on_disk(rng, sizes, activity, bulge=True)


CLASS_BUILDERS: tuple[ClassBuilder, ...] = (
    disturbed,
    merging,
    round_smooth,
    in_between_smooth,
    cigar_smooth,
    barred_spiral,
    tight_spiral,
    loose_spiral,
    _edge_on_without_bulge,
    _edge_on_with_bulge,
)

__all__ = [
    "CLASS_ACTIVITY",
    "CLASS_BUILDERS",
    "CLASS_MAGNITUDE_OFFSET",
    "CLASS_MEAN_AV",
    "inclined_disk",
]
