"""Galaxy Zoo DECaLS, DR5 campaign (GZD-5; Walmsley et al. 2022, MNRAS 509, 3966, Fig. 4):
ten questions. Smooth galaxies are asked how rounded they are, featured ones whether they are
edge-on; edge-on disks are asked about their bulge, face-on ones about bar, spiral arms (then
winding and arm count) and bulge size; every non-artefact galaxy is finally asked about mergers.
Column suffix `-dr5` as in galaxy-datasets."""

from __future__ import annotations

from astrobench.data.votes.schema import Question, VoteSchema
from astrobench.registry import register_vote_schema

SMOOTH = ("smooth-or-featured", "smooth")
FEATURED = ("smooth-or-featured", "featured-or-disk")
FACE_ON = ("disk-edge-on", "no")
SPIRAL = ("has-spiral-arms", "yes")

GZ_DECALS_5 = VoteSchema(
    name="gz-decals-5",
    title="Galaxy Zoo DECaLS DR5 (GZD-5)",
    suffix="-dr5",
    questions=(
        Question("smooth-or-featured", ("smooth", "featured-or-disk", "artifact")),
        Question("disk-edge-on", ("yes", "no"), (FEATURED,)),
        Question("has-spiral-arms", ("yes", "no"), (FACE_ON,)),
        Question("bar", ("strong", "weak", "no"), (FACE_ON,)),
        Question("bulge-size", ("dominant", "large", "moderate", "small", "none"), (FACE_ON,)),
        Question("how-rounded", ("round", "in-between", "cigar-shaped"), (SMOOTH,)),
        Question("edge-on-bulge", ("boxy", "none", "rounded"), (("disk-edge-on", "yes"),)),
        Question("spiral-winding", ("tight", "medium", "loose"), (SPIRAL,)),
        Question("spiral-arm-count", ("1", "2", "3", "4", "more-than-4", "cant-tell"), (SPIRAL,)),
        Question(
            "merging",
            ("none", "minor-disturbance", "major-disturbance", "merger"),
            (SMOOTH, FEATURED),
        ),
    ),
)
register_vote_schema(GZ_DECALS_5.name)(GZ_DECALS_5)
