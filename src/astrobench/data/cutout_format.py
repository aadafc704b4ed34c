"""Constants of the cutout file (HDF5, format_version 1); see DESIGN.md "Data contract"."""

from __future__ import annotations

FORMAT_NAME = "cutouts"
FORMAT_VERSION = 1

IMAGES = "images"
CATALOG = "catalog"
SPECTRA = "spectra"
SPECTRA_IVAR = "spectra_ivar"
WAVELENGTH = "wavelength"
BOXES = "boxes"
BOX_LABELS = "box_labels"
BOX_OFFSETS = "box_offsets"

# Reserved catalog columns and their dtypes.
OBJECT_ID = "object_id"
LABEL = "label"  # int64, -1 = no label
REDSHIFT = "redshift"
SPLIT = "split"  # int8: 0 train, 1 val, 2 test
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
NO_LABEL = -1

REQUIRED_ROOT_ATTRS = (
    "astrobench_format",
    "format_version",
    "survey",
    "bands",
    "pixel_scale_arcsec",
    "image_unit",
    "source",
    "license",
    "created_by",
)


MAG_PREFIX = "mag_"


def mag_column(band: str) -> str:
    """Catalog column of the magnitude in `band`."""
    return f"mag_{band}"


def magerr_column(band: str) -> str:
    """Catalog column of the magnitude error in `band`."""
    return f"magerr_{band}"
