"""The ten Galaxy10 DECaLS classes, in label order (astroNN docs; the code's dict has a
copy-paste error for classes 3-4, see docs/datasets.md). Shared by the dataset converter and
the synthetic survey, so a synthetic label means the same class as a real one."""

GALAXY10_DECALS_CLASSES = (
    "Disturbed",
    "Merging",
    "Round Smooth",
    "In-between Round Smooth",
    "Cigar Shaped Smooth",
    "Barred Spiral",
    "Unbarred Tight Spiral",
    "Unbarred Loose Spiral",
    "Edge-on without Bulge",
    "Edge-on with Bulge",
)
