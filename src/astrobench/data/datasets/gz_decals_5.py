"""Galaxy Zoo DECaLS (GZD-5) via `galaxy-datasets` (228,059 DECaLS DR5 colour jpgs, votes).

See galaxy_zoo.py for the layout. Vote columns are `<question>-dr5_<answer>`; there is no class
label, so the vote counts and fractions are the targets: the questions, answers and tree are
data/votes/gz_decals_5.py (the converted file's `vote_schema` attribute names it).
"""

from __future__ import annotations

from typing import ClassVar

from astrobench.data.datasets.base import Resource
from astrobench.data.datasets.galaxy_zoo import GalaxyZooJpgDataset
from astrobench.data.votes.gz_decals_5 import GZ_DECALS_5
from astrobench.data.votes.schema import VoteSchema
from astrobench.registry import register_dataset

_URL = "https://dl.dropboxusercontent.com/s/{key}/{name}"


@register_dataset("gz-decals-5")
class GalaxyZooDecals5(GalaxyZooJpgDataset):
    """GZ DECaLS DR5 catalogs and jpgs as distributed by galaxy-datasets."""

    name = "gz-decals-5"
    description = (
        "228,059 GZ DECaLS DR5 colour jpgs with vote counts/fractions, canonical 80/20 split"
    )
    resources = (
        Resource(
            url=_URL.format(key="1tuehajonhgv8a2", name="decals_dr5_ortho_train_catalog.parquet"),
            filename="decals_dr5_ortho_train_catalog.parquet",
            checksum_kind="md5",
            checksum="a0cd74edc073fdff068370f6eefeb802",
        ),
        Resource(
            url=_URL.format(key="3vo6hjlnbqgzuxz", name="decals_dr5_ortho_test_catalog.parquet"),
            filename="decals_dr5_ortho_test_catalog.parquet",
            checksum_kind="md5",
            checksum="55820e3712b22e587f6971e4b6c73dfe",
        ),
        Resource(
            url=_URL.format(key="bs6jp0mkgiekhww", name="decals_dr5_images.tar.gz"),
            filename="decals_dr5_images.tar.gz",
            checksum_kind="md5",
            checksum="1347de4c8df4ec579d5a58241c1f280b",
        ),
    )
    bands = ("g", "r", "z")
    pixel_scale_arcsec = 0.262  # nominal; GZ DECaLS jpgs are scaled per galaxy
    survey = "DESI Legacy Imaging Surveys DR5 (Galaxy Zoo DECaLS)"
    license = "GPL-3.0 (galaxy-datasets code); data licence unverified, cite Walmsley et al. 2022"
    citation = "Walmsley et al. 2022, MNRAS 509, 3966 (Galaxy Zoo DECaLS)"
    homepage = "https://github.com/mwalmsley/galaxy-datasets"
    vote_schema: ClassVar[VoteSchema | None] = GZ_DECALS_5
    unverified = (
        "jpg size of 424 px (Zoobot's default, not checked for this archive)",
        "pixel scale (jpgs are scaled per galaxy; 0.262 arcsec/px is DECaLS native, nominal)",
        "bands of the colour composite (taken as g, r, z)",
        "data licence",
    )
