"""Galaxy Zoo 2 via `galaxy-datasets` (209,293 SDSS colour jpgs, vote counts and fractions).

See galaxy_zoo.py for the layout. Vote columns are `<question>-gz2_<answer>`; the optional class
label `label` (0-6, -1 = unassigned) becomes the `label` column (-1 = no label in astrobench too).
The questions, answers and tree are data/votes/gz2.py (the file's `vote_schema` attribute).
"""

from __future__ import annotations

from typing import ClassVar

from astrobench.data.datasets.base import Resource
from astrobench.data.datasets.galaxy_zoo import GalaxyZooJpgDataset
from astrobench.data.votes.gz2 import GZ2 as GZ2_SCHEMA
from astrobench.data.votes.schema import VoteSchema
from astrobench.registry import register_dataset

_URL = "https://dl.dropboxusercontent.com/s/{key}/{name}"


@register_dataset("gz2")
class GalaxyZoo2(GalaxyZooJpgDataset):
    """GZ2 catalogs and jpgs as distributed by galaxy-datasets."""

    name = "gz2"
    description = "209,293 GZ2 SDSS colour jpgs with vote counts/fractions, canonical 80/20 split"
    resources = (
        Resource(
            url=_URL.format(key="vu77e3sh2s5c250", name="gz2_train_catalog.parquet"),
            filename="gz2_train_catalog.parquet",
            checksum_kind="md5",
            checksum="d5507a9332c75fd84a7f2562567da36b",
        ),
        Resource(
            url=_URL.format(key="t8eh6f3oupndpl3", name="gz2_test_catalog.parquet"),
            filename="gz2_test_catalog.parquet",
            checksum_kind="md5",
            checksum="ac1fba88d0e8a95ee4f4eef79ea03063",
        ),
        Resource(
            url=_URL.format(key="5so7yof2afe761p", name="images_gz2.tar.gz"),
            filename="images_gz2.tar.gz",
            checksum_kind="md5",
            checksum="e3eab2fec57a6a60577236b9e0a6913d",
        ),
    )
    bands = ("g", "r", "i")
    pixel_scale_arcsec = 0.396  # nominal; GZ2 jpgs are scaled per galaxy
    survey = "SDSS DR7 (Galaxy Zoo 2)"
    license = "GPL-3.0 (galaxy-datasets code); HF mirror mwalmsley/gz2 card says CC BY-NC-SA 4.0"
    citation = (
        "Willett et al. 2013, MNRAS 435, 2835 (Galaxy Zoo 2); Hart et al. 2016, MNRAS 461, 3663"
    )
    homepage = "https://github.com/mwalmsley/galaxy-datasets"
    label_names = (
        "smooth_inbetween",
        "smooth_round",
        "smooth_cigar",
        "edge_on_disk",
        "unbarred_spiral",
        "barred_spiral",
        "featured_without_bar_or_spiral",
    )
    label_column = "label"
    vote_schema: ClassVar[VoteSchema | None] = GZ2_SCHEMA
    unverified = (
        "jpg size of 424 px (Zoobot's default, not checked for this archive)",
        "pixel scale (GZ2 jpgs are scaled per galaxy; 0.396 arcsec/px is SDSS native, nominal)",
        "bands of the colour composite (taken as g, r, i)",
    )
