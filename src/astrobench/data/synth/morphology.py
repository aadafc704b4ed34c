"""The ten Galaxy10 DECaLS classes, built from bulge, disk, bar, arms, knots, tails and companions.

Every builder returns a `Structure`: unit-flux GalSim profiles (arcsec, centred on the cutout
centre) with the fraction of the galaxy's rest-frame r luminosity and the SED activity of each
part. Class boundaries overlap where nature's do: axis ratios of round and in-between smooth
galaxies, pitch angles of tight and loose spirals, and bar strengths all share tails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import galsim
import numpy as np

from astrobench.data.galaxy10_classes import GALAXY10_DECALS_CLASSES

CLASS_NAMES = GALAXY10_DECALS_CLASSES
SMOOTH_CLASSES = (2, 3, 4)
SERSIC_INDICES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # quantised: GalSim caches one table per n
SERSIC_TRUNCATION_HLR = 5.0
GSPARAMS = galsim.GSParams(folding_threshold=1e-2, maxk_threshold=2e-3, kvalue_accuracy=1e-4)


@dataclass
class Part:
    """One component: unit-flux profile, share of rest-r luminosity, SED activity (0 E .. 1 Im)."""

    profile: galsim.GSObject
    fraction: float
    activity: float
    star_forming: bool = False
    main: bool = True


@dataclass
class Structure:
    """A galaxy's parts and the structural numbers that go into the catalog."""

    parts: list[Part]
    bulge_fraction: float
    sersic_n: float
    axis_ratio: float
    position_angle_deg: float
    bulge_hlr_arcsec: float
    disk_hlr_arcsec: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Sizes:
    """Half-light radii (arcsec) drawn by the population model for this galaxy."""

    disk_hlr_arcsec: float
    bulge_hlr_arcsec: float
    max_offset_arcsec: float


def sersic(n: float, hlr: float) -> galsim.GSObject:
    """A unit-flux Sérsic profile truncated at SERSIC_TRUNCATION_HLR half-light radii."""
    return galsim.Sersic(
        n=n, half_light_radius=hlr, trunc=SERSIC_TRUNCATION_HLR * hlr, gsparams=GSPARAMS
    )


def inclined_disk(
    hlr: float, inclination_rad: float, h_over_r: float, pa_deg: float
) -> galsim.GSObject:
    """A thick exponential disk seen at `inclination_rad`, major axis at `pa_deg`."""
    disk = galsim.InclinedExponential(
        inclination=inclination_rad * galsim.radians,
        half_light_radius=hlr,
        scale_h_over_r=h_over_r,
        gsparams=GSPARAMS,
    )
    return disk.rotate(pa_deg * galsim.degrees)


def project(profile: galsim.GSObject, cos_incl: float, pa_deg: float) -> galsim.GSObject:
    """Incline a face-on in-plane profile and rotate it to the disk's position angle."""
    return profile.transform(1.0, 0.0, 0.0, cos_incl).rotate(pa_deg * galsim.degrees)


def knot_sum(
    xy_arcsec: np.ndarray,
    sigma_arcsec: np.ndarray,
    weights: np.ndarray,
    angle_rad: np.ndarray | None = None,
    axis_ratio: float = 1.0,
) -> galsim.GSObject:
    """Unit-flux sum of Gaussian knots at positions [K, 2] with widths and relative weights [K].

    With `angle_rad` [K] each knot is stretched (minor/major = `axis_ratio`) along that angle,
    so a few knots along an arm blend into a continuous, streaky arm.
    """
    weights = weights / weights.sum()
    knots = []
    for k, ((x, y), s, w) in enumerate(zip(xy_arcsec, sigma_arcsec, weights, strict=True)):
        knot = galsim.Gaussian(sigma=float(s), flux=float(w), gsparams=GSPARAMS)
        if angle_rad is not None:
            knot = knot.shear(q=axis_ratio, beta=float(angle_rad[k]) * galsim.radians)
        knots.append(knot.shift(float(x), float(y)))
    return galsim.Sum(knots)


def spiral_arms(
    rng: np.random.Generator, r_disk: float, pitch_deg: float, n_arms: int, r_start: float
) -> galsim.GSObject:
    """Knots along logarithmic spirals r = r_start exp(theta tan(pitch)) out to ~2.6 disk hlr."""
    tan_pitch = np.tan(np.radians(np.clip(pitch_deg, 4.0, 50.0)))
    theta_end = np.log(2.6 * r_disk / r_start) / tan_pitch
    n_knots = 12
    theta = np.linspace(0.0, theta_end, n_knots)
    phase0 = rng.uniform(0, 2 * np.pi)
    xy, sig, w, along = [], [], [], []
    for arm in range(n_arms):
        r = r_start * np.exp(theta * tan_pitch) * rng.normal(1.0, 0.04, n_knots)
        phi = theta + phase0 + 2 * np.pi * arm / n_arms
        xy.append(np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1))
        sig.append(0.08 * r_disk + 0.10 * r)
        w.append(r * np.exp(-1.68 * r / r_disk) * rng.uniform(0.6, 1.4, n_knots))
        along.append(phi + np.pi / 2 - np.arctan(tan_pitch))  # the arm's tangent direction
    return knot_sum(
        np.concatenate(xy), np.concatenate(sig), np.concatenate(w), np.concatenate(along), 0.3
    )


def star_forming_knots(
    rng: np.random.Generator, count: int, radius: float, centre: np.ndarray
) -> galsim.GSObject:
    """`count` compact clumps scattered around `centre` within about `radius`."""
    xy = centre + rng.normal(0.0, radius, (count, 2))
    return knot_sum(xy, rng.uniform(0.15, 0.35, count) * radius, rng.uniform(0.5, 1.5, count))


def choose_n(rng: np.random.Generator, options: tuple[float, ...]) -> float:
    """One Sérsic index from `options` (all members of SERSIC_INDICES)."""
    return float(options[int(rng.integers(len(options)))])


def disk_galaxy(
    rng: np.random.Generator,
    sizes: Sizes,
    *,
    cos_incl: float,
    bulge_fraction: float,
    n_options: tuple[float, ...],
    activity: float,
    h_over_r: float = 0.1,
) -> Structure:
    """Bulge + inclined exponential disk: the base of spirals, edge-ons and disturbed systems."""
    pa = float(rng.uniform(0, 180))
    incl = float(np.arccos(np.clip(cos_incl, 0.0, 1.0)))
    n = choose_n(rng, n_options)
    q_bulge = float(rng.uniform(0.7, 1.0))
    parts = [
        Part(
            inclined_disk(sizes.disk_hlr_arcsec, incl, h_over_r, pa),
            1 - bulge_fraction,
            activity,
            True,
        )
    ]
    if bulge_fraction > 0:
        bulge = sersic(n, sizes.bulge_hlr_arcsec).shear(q=q_bulge, beta=pa * galsim.degrees)
        parts.append(Part(bulge, bulge_fraction, float(rng.uniform(0.0, 0.12))))
    q_disk = float(np.sqrt(cos_incl**2 + (h_over_r * np.sin(incl)) ** 2))
    return Structure(
        parts=parts,
        bulge_fraction=bulge_fraction,
        sersic_n=n,
        axis_ratio=q_disk if bulge_fraction < 0.5 else q_bulge,
        position_angle_deg=pa,
        bulge_hlr_arcsec=sizes.bulge_hlr_arcsec,
        disk_hlr_arcsec=sizes.disk_hlr_arcsec,
        extra={"cos_incl": float(cos_incl)},
    )


def add_part(
    structure: Structure,
    profile: galsim.GSObject,
    fraction: float,
    activity: float,
    star_forming: bool,
) -> None:
    """Add a part that takes `fraction` of the light from the disk (the first part)."""
    structure.parts[0].fraction -= fraction
    structure.parts.append(Part(profile, fraction, activity, star_forming))


def smooth_galaxy(
    rng: np.random.Generator,
    sizes: Sizes,
    q: float,
    n_options: tuple[float, ...],
    disk_share: float,
) -> Structure:
    """A spheroid (Sérsic), optionally with a faint disk of the same orientation (S0-like)."""
    pa = float(rng.uniform(0, 180))
    n = choose_n(rng, n_options)
    spheroid = sersic(n, sizes.bulge_hlr_arcsec).shear(q=q, beta=pa * galsim.degrees)
    parts = [Part(spheroid, 1.0 - disk_share, float(rng.uniform(0.0, 0.1)))]
    if disk_share > 0:
        incl = float(np.arccos(np.clip(q, 0.05, 1.0)))
        disk = inclined_disk(sizes.disk_hlr_arcsec, incl, 0.15, pa)
        parts.append(Part(disk, disk_share, float(rng.uniform(0.05, 0.3)), True))
    return Structure(
        parts, 1.0 - disk_share, n, q, pa, sizes.bulge_hlr_arcsec, sizes.disk_hlr_arcsec
    )


ClassBuilder = Callable[[np.random.Generator, Sizes, float], Structure]
