"""`resolve_encoders(spec, data)`: the encoders a spec names, keyed by modality, for one file.

    ckpt:DIR                   a CLIP run (DIR/image and DIR/spectrum): both aligned towers
    ckpt:...                   any other own checkpoint, rebuilt by its family (ENCODER_FAMILIES)
    specformer_<size>          a randomly initialised spectrum encoder on the file's grid
    anything else              an image backbone (`create_backbone`), fed the file's bands

Spectrum encoders are checked against the file's wavelength grid.
"""

from __future__ import annotations

import os
from pathlib import Path

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import require_spectra
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.source import source_of
from astrobench.models.spec import parse_spec
from astrobench.models.spectrum.create import RANDOM_PREFIX, create_spectrum_encoder

MODALITIES = ("image", "spectrum")


def _one(spec: str, data: Path) -> Backbone:
    parsed = parse_spec(spec)
    with CutoutFile(data) as cutouts:
        if not parsed.scheme and parsed.name.startswith(RANDOM_PREFIX):
            return create_spectrum_encoder(spec, require_spectra(cutouts), str(data))
        if source_of(parsed).modality(parsed) == "spectrum":
            encoder = create_backbone(spec)
            encoder.check_grid(require_spectra(cutouts), str(data))  # type: ignore[operator]
            return encoder
        bands, side = cutouts.bands, cutouts.image_shape[1]
    return create_backbone(spec, bands=bands, img_size=natural_img_size(spec, side))


def names_pair(spec: str) -> bool:
    """Whether `spec` is a whole CLIP run (`ckpt:DIR` holding image/ and spectrum/)."""
    parsed = parse_spec(spec)
    folder = Path(parsed.name).expanduser()
    return (
        parsed.scheme == "ckpt"
        and "modality" not in parsed.options
        and all((folder / m).is_dir() for m in MODALITIES)
    )


def resolve_encoders(spec: str, data: str | os.PathLike[str]) -> dict[str, Backbone]:
    """{modality: encoder} named by `spec`, checked against the file `data`."""
    path = Path(data)
    if names_pair(spec):
        return {m: _one(f"{spec}?modality={m}", path) for m in MODALITIES}
    encoder = _one(spec, path)
    return {str(getattr(encoder, "modality", "image")): encoder}
