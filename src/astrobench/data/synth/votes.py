"""Galaxy-Zoo-like vote counts for synthetic galaxies, from each galaxy's true structure.

For every question of a decision tree (data/votes) an answer model gives the probability that a
careful volunteer picks each answer, from what the galaxy really is: smooth or disk, bar
strength, spiral arms (count, pitch angle), bulge-to-total ratio, inclination, axis ratio,
merger or disturbance, artefacts and neighbours, and how well resolved it is (half-light radius
over the seeing; small galaxies look smoother and their arms are hard to count). Volunteer noise
then enters twice: the crowd's answer probabilities for this galaxy are a Dirichlet draw around
the model's (concentration `CROWD_CONCENTRATION`), and the votes are multinomial. Volunteers
walk the tree: all N answer the root, and the volunteers asked a later question are exactly those
whose earlier answers lead to it, so the counts branch as real Galaxy Zoo counts do.

N is drawn per galaxy: most galaxies get a full GZD-5-like retirement count (34-45 volunteers),
a fifth get 5-33, so the >= 34-volunteer cut of seed 003 matters. Votes come from their own
random stream, a function of (seed, object index), so asking for them changes no image or other
column, and the file is byte-identical for any number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from astrobench.data.synth.morphology import SMOOTH_CLASSES
from astrobench.data.synth.population import Galaxy
from astrobench.data.synth.presets import SurveyPreset
from astrobench.data.votes.schema import VoteSchema
from astrobench.registry import VOTE_SCHEMAS, Registry

VOTES_STREAM = 0x766F7465  # "vote": the votes' own seed stream
CROWD_CONCENTRATION = 15.0
FULL_VOTES = (34, 45)
FEW_VOTES = (5, 33)
FEW_VOTES_PROBABILITY = 0.2
SPIRAL_CLASSES = (5, 6, 7)
EDGE_ON_CLASSES = (8, 9)
MERGER, DISTURBED, EDGE_ON_WITH_BULGE = 1, 0, 9


@dataclass(frozen=True)
class VoteTruth:
    """What volunteers could in principle see in one synthetic galaxy."""

    label: int
    bulge_fraction: float
    axis_ratio: float
    cos_incl: float
    bar_share: float
    arm_count: int
    pitch_deg: float
    companion_flux_ratio: float
    resolution: float  # half-light radius / seeing FWHM
    has_neighbour: bool
    has_artefact: bool  # a masked edge or a bright star in the cutout

    @property
    def visibility(self) -> float:
        """0 (unresolved) .. 1 (well resolved): how clearly fine structure shows."""
        return self.resolution / (self.resolution + 0.6)


def truth_from(galaxy: Galaxy, flags: dict[str, int], preset: SurveyPreset) -> VoteTruth:
    """The VoteTruth of a drawn galaxy (its structure's numbers and the scene's flags)."""
    s = galaxy.structure
    seeing = preset.seeing_fwhm_arcsec.get("r", min(preset.seeing_fwhm_arcsec.values()))
    return VoteTruth(
        label=galaxy.label,
        bulge_fraction=float(s.bulge_fraction),
        axis_ratio=float(s.axis_ratio),
        cos_incl=float(s.extra.get("cos_incl", s.axis_ratio)),
        bar_share=float(s.extra.get("bar_share", 0.0)),
        arm_count=int(s.extra.get("arm_count", 0)),
        pitch_deg=float(s.extra.get("pitch_deg", float("nan"))),
        companion_flux_ratio=float(s.extra.get("companion_flux_ratio", 0.0)),
        resolution=float(galaxy.half_light_radius_arcsec / seeing),
        has_neighbour=bool(flags.get("has_neighbour")),
        has_artefact=bool(flags.get("has_edge_artefact") or flags.get("has_star")),
    )


AnswerModel = Callable[[VoteTruth], dict[str, np.ndarray]]
VOTE_MODELS: Registry = Registry("synthetic vote model")


def _normalised(values: list[float] | np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(values, dtype=np.float64), 1e-3, None)
    return p / p.sum()


def _kernel(value: float, centres: tuple[float, ...], width: float) -> np.ndarray:
    """Soft assignment of `value` to answers with the given typical values."""
    c = np.asarray(centres)
    return _normalised(np.exp(-0.5 * ((value - c) / width) ** 2) + 0.02)


def p_featured(t: VoteTruth) -> float:
    base = 0.12 if t.label in SMOOTH_CLASSES else 0.88
    return base * t.visibility + 0.25 * (1 - t.visibility)


def smooth_or_featured(t: VoteTruth) -> np.ndarray:
    artefact = 0.02 + 0.35 * t.has_artefact
    featured = p_featured(t) * (1 - artefact)
    return _normalised([1 - artefact - featured, featured, artefact])


def edge_on(t: VoteTruth) -> np.ndarray:
    if t.label in EDGE_ON_CLASSES:
        yes = 0.93
    else:
        yes = 0.03 + 0.8 / (1 + np.exp((t.cos_incl - 0.3) / 0.05))
    return _normalised([yes, 1 - yes])


def spiral(t: VoteTruth) -> np.ndarray:
    yes = {DISTURBED: 0.35, MERGER: 0.3}.get(t.label, 0.08)
    if t.label in SPIRAL_CLASSES:
        yes = 0.92 * t.visibility + 0.35 * (1 - t.visibility)
    return _normalised([yes, 1 - yes])


def bar_strength(t: VoteTruth) -> np.ndarray:
    """(strong, weak, no)."""
    if t.bar_share <= 0:
        return _normalised([0.03, 0.12, 0.85])
    s = float(np.clip((t.bar_share - 0.05) / 0.15, 0, 1)) * t.visibility
    return _normalised([0.2 + 0.6 * s, 0.3, 0.5 - 0.6 * s])


def bulge_edge_on(t: VoteTruth) -> np.ndarray:
    """(boxy, none, rounded) / (round, boxy, no-bulge) share this from B/T."""
    seen = float(np.clip(t.bulge_fraction / 0.3, 0, 1))
    if t.label == EDGE_ON_WITH_BULGE:
        seen = max(seen, 0.8)
    return _normalised([0.2 * seen, 1 - 0.95 * seen, 0.75 * seen])


def winding(t: VoteTruth) -> np.ndarray:
    if t.arm_count == 0:
        return _normalised([0.3, 0.4, 0.3])
    return _kernel(t.pitch_deg, (10.0, 18.0, 27.0), 5.0)


def arm_count(t: VoteTruth) -> np.ndarray:
    """(1, 2, 3, 4, more-than-4, cant-tell)."""
    if t.arm_count == 0:
        return _normalised([0.05, 0.15, 0.05, 0.02, 0.02, 0.71])
    p = 0.03 + np.zeros(6)
    index = min(t.arm_count, 5) - 1
    p[index] += 0.7 * t.visibility
    p[max(index - 1, 0)] += 0.08
    p[min(index + 1, 4)] += 0.08
    p[5] += 0.1 + 0.5 * (1 - t.visibility)
    return _normalised(p)


def merging(t: VoteTruth) -> np.ndarray:
    """(none, minor-disturbance, major-disturbance, merger)."""
    if t.label == MERGER:
        major = 0.3 * (1 - t.companion_flux_ratio)
        return _normalised([0.08, 0.1, 0.12 + major, 0.7 - major])
    if t.label == DISTURBED:
        return _normalised([0.15, 0.4, 0.35, 0.1])
    minor = 0.1 + 0.12 * t.has_neighbour
    return _normalised([0.87 - minor, minor, 0.02, 0.01])


def something_odd(t: VoteTruth) -> np.ndarray:
    yes = 0.75 if t.label in (MERGER, DISTURBED) else 0.1 + 0.15 * t.has_neighbour
    return _normalised([yes, 1 - yes])


@VOTE_MODELS.register("gz-decals-5")
def gz_decals_5_model(t: VoteTruth) -> dict[str, np.ndarray]:
    """Answer probabilities for the GZD-5 tree."""
    return {
        "smooth-or-featured": smooth_or_featured(t),
        "disk-edge-on": edge_on(t),
        "has-spiral-arms": spiral(t),
        "bar": bar_strength(t),
        "bulge-size": _kernel(t.bulge_fraction, (0.75, 0.5, 0.3, 0.12, 0.0), 0.1),
        "how-rounded": _kernel(t.axis_ratio, (0.85, 0.55, 0.25), 0.12),
        "edge-on-bulge": bulge_edge_on(t),
        "spiral-winding": winding(t),
        "spiral-arm-count": arm_count(t),
        "merging": merging(t),
    }


@VOTE_MODELS.register("gz2")
def gz2_model(t: VoteTruth) -> dict[str, np.ndarray]:
    """Answer probabilities for the GZ2 tree."""
    strong, weak, no = bar_strength(t)
    boxy, none, rounded = bulge_edge_on(t)
    return {
        "smooth-or-featured": smooth_or_featured(t),
        "disk-edge-on": edge_on(t),
        "bar": _normalised([strong + 0.6 * weak, no + 0.4 * weak]),
        "has-spiral-arms": spiral(t),
        "bulge-size": _kernel(t.bulge_fraction, (0.7, 0.4, 0.15, 0.0), 0.12),
        "something-odd": something_odd(t),
        "how-rounded": _kernel(t.axis_ratio, (0.85, 0.55, 0.25), 0.12),
        "bulge-shape": _normalised([rounded, boxy, none]),
        "spiral-winding": winding(t),
        "spiral-arm-count": arm_count(t),
    }


def vote_rng(seed: int, index: int) -> np.random.Generator:
    """The votes' generator of object `index`, independent of the one drawing its image."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, VOTES_STREAM]))


def check_vote_schema(name: str) -> VoteSchema:
    """The schema called `name`, which must also have a synthetic answer model."""
    schema: VoteSchema = VOTE_SCHEMAS.get(name)
    VOTE_MODELS.get(name)
    return schema


def simulate_votes(name: str, truth: VoteTruth, rng: np.random.Generator) -> dict[str, float]:
    """Count, total and fraction columns of one galaxy for the tree `name`."""
    schema = check_vote_schema(name)
    model: AnswerModel = VOTE_MODELS.get(name)
    probabilities = model(truth)
    few = rng.random() < FEW_VOTES_PROBABILITY
    low, high = FEW_VOTES if few else FULL_VOTES
    volunteers = int(rng.integers(low, high + 1))
    counts: dict[tuple[str, str], int] = {}
    row: dict[str, float] = {}
    for question in schema.questions:
        asked = volunteers if question.is_root else sum(counts[a] for a in question.asked_after)
        crowd = rng.dirichlet(CROWD_CONCENTRATION * probabilities[question.name])
        drawn = rng.multinomial(asked, crowd)
        for answer, count in zip(question.answers, drawn, strict=True):
            counts[(question.name, answer)] = int(count)
            row[schema.count_column(question.name, answer)] = int(count)
            row[schema.fraction_column(question.name, answer)] = (
                count / asked if asked else float("nan")
            )
        row[schema.total_column(question.name)] = int(asked)
    return row
