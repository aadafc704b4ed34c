"""Galaxy Zoo 2 (Willett et al. 2013, MNRAS 435, 2835, Fig. 1 and Table 2), as the ten questions
galaxy-datasets keeps (the 'odd feature' follow-up is not among them).

Smooth galaxies are asked how rounded they are; featured ones whether they are edge-on; edge-on
disks the shape of their bulge; face-on ones about a bar, then spiral arms (then winding and arm
count), then bulge size; every galaxy that is not a star or artefact is finally asked whether
anything is odd. In counts, every volunteer of a branch goes on to the next question of that
branch, so `has-spiral-arms` and `bulge-size` are asked of everyone who answered `bar`.
Column suffix `-gz2` as in galaxy-datasets."""

from __future__ import annotations

from astrobench.data.votes.schema import Question, VoteSchema
from astrobench.registry import register_vote_schema

SMOOTH = ("smooth-or-featured", "smooth")
FEATURED = ("smooth-or-featured", "featured-or-disk")
AFTER_BAR = (("bar", "yes"), ("bar", "no"))
AFTER_SPIRAL = (("has-spiral-arms", "yes"), ("has-spiral-arms", "no"))
SPIRAL = ("has-spiral-arms", "yes")

GZ2 = VoteSchema(
    name="gz2",
    title="Galaxy Zoo 2 (GZ2)",
    suffix="-gz2",
    questions=(
        Question("smooth-or-featured", ("smooth", "featured-or-disk", "artifact")),
        Question("disk-edge-on", ("yes", "no"), (FEATURED,)),
        Question("bar", ("yes", "no"), (("disk-edge-on", "no"),)),
        Question("has-spiral-arms", ("yes", "no"), AFTER_BAR),
        Question("bulge-size", ("dominant", "obvious", "just-noticeable", "no"), AFTER_SPIRAL),
        Question("something-odd", ("yes", "no"), (SMOOTH, FEATURED)),
        Question("how-rounded", ("round", "in-between", "cigar"), (SMOOTH,)),
        Question("bulge-shape", ("round", "boxy", "no-bulge"), (("disk-edge-on", "yes"),)),
        Question("spiral-winding", ("tight", "medium", "loose"), (SPIRAL,)),
        Question("spiral-arm-count", ("1", "2", "3", "4", "more-than-4", "cant-tell"), (SPIRAL,)),
    ),
)
register_vote_schema(GZ2.name)(GZ2)
