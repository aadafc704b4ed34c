"""Galaxy10 SDSS, the original Galaxy10 (Leung & Bovy, astroNN): 21,785 g,r,i cutouts of 69 px.

Original layout (`Galaxy10.h5`): `images` uint8 [N, 69, 69, 3] and `ans` (class 0-9). The cutouts
are Galaxy Zoo 2 SDSS images (424 px, scaled to each galaxy's Petrosian radius), centre-cropped to
207 px and downscaled by 3, so the pixel scale varies from galaxy to galaxy.
"""

from __future__ import annotations

from astrobench.data.datasets.base import Resource
from astrobench.data.datasets.galaxy10_decals import Galaxy10Decals
from astrobench.registry import register_dataset


@register_dataset("galaxy10-sdss")
class Galaxy10Sdss(Galaxy10Decals):
    """Galaxy10 SDSS; only `images` and `ans` are in the file."""

    name = "galaxy10-sdss"
    description = "21,785 SDSS g,r,i colour cutouts of 69 px in 10 morphology classes"
    resources = (
        Resource(
            url="https://zenodo.org/records/10844811/files/Galaxy10.h5",
            filename="Galaxy10.h5",
            checksum_kind="sha256",
            checksum="969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af",
            url_env="ASTROBENCH_GALAXY10_SDSS_URL",
        ),
    )
    bands = ("g", "r", "i")
    # Nominal only: GZ2 cutouts are scaled per galaxy (0.02 x petroR90 arcsec/px, from memory),
    # then cropped 424 -> 207 and binned x3. 0.396 x 3 is the SDSS native scale after binning.
    pixel_scale_arcsec = 1.188
    survey = "SDSS DR7 (Galaxy Zoo 2 cutouts)"
    license = "MIT (astroNN code); Zenodo record licence unverified"
    citation = (
        "Leung & Bovy 2019, MNRAS 483, 3255 (astroNN); Willett et al. 2013, MNRAS 435, 2835 (GZ2)"
    )
    homepage = "https://astronn.readthedocs.io/en/latest/galaxy10sdss.html"
    label_names = (
        "Disk, Face-on, No Spiral",
        "Smooth, Completely round",
        "Smooth, in-between round",
        "Smooth, Cigar shaped",
        "Disk, Edge-on, Rounded Bulge",
        "Disk, Edge-on, Boxy Bulge",
        "Disk, Edge-on, No Bulge",
        "Disk, Face-on, Tight Spiral",
        "Disk, Face-on, Medium Spiral",
        "Disk, Face-on, Loose Spiral",
    )
    unverified = (
        "pixel scale (per-galaxy in the GZ2 cutouts; 1.188 arcsec/px is nominal)",
        "dtype of ans",
        "Zenodo record licence",
        "channel order of the colour composite (taken as g, r, i)",
    )
