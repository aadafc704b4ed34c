"""`resolve_encoders(spec, data)`: the encoders a spec names, keyed by modality, for one file.

    ckpt:DIR                   a CLIP run (DIR/image and DIR/spectrum): both aligned towers;
                               any other own checkpoint: its family says what it is
    ckpt:DIR?modality=image    one tower of a CLIP run
    specformer_<size>          a randomly initialised spectrum encoder on the file's grid
    anything else              an image backbone (`create_backbone`), fed the file's bands

Own checkpoints are rebuilt by family (the sidecar's "family"; the ViTs written by
`pretrain mae` have none and are image backbones).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import require_spectra
from astrobench.models.aligned.checkpoint import build_aligned, load_aligned
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.encoder_checkpoint import encoder_paths
from astrobench.models.spec import parse_spec
from astrobench.models.spectrum.checkpoint import build_specformer, load_state
from astrobench.models.spectrum.create import RANDOM_PREFIX, create_spectrum_encoder

Loader = Callable[[str, Path], dict[str, Backbone]]


def _specformer(path: str, data: Path) -> dict[str, Backbone]:
    encoder = build_specformer(*reversed(load_state(path)))
    with CutoutFile(data) as cutouts:
        encoder.check_grid(require_spectra(cutouts), str(data))
    return {"spectrum": encoder}


def _aligned(path: str, data: Path) -> dict[str, Backbone]:
    state, sidecar = load_state(path)
    encoder = build_aligned(sidecar, state, spec=f"ckpt:{path}")
    return {encoder.modality: encoder}


FAMILY_LOADERS: dict[str, Loader] = {
    "specformer": _specformer,
    "clip-image": _aligned,
    "clip-spectrum": _aligned,
}


def _image(spec: str, data: Path) -> dict[str, Backbone]:
    with CutoutFile(data) as cutouts:
        bands, side = cutouts.bands, cutouts.image_shape[1]
    return {"image": create_backbone(spec, bands=bands, img_size=natural_img_size(spec, side))}


def resolve_encoders(spec: str, data: str | os.PathLike[str]) -> dict[str, Backbone]:
    """{modality: encoder} named by `spec`, checked against the file `data`."""
    path, parsed = Path(data), parse_spec(spec)
    if parsed.name.startswith(RANDOM_PREFIX) and not parsed.scheme:
        with CutoutFile(path) as cutouts:
            grid = require_spectra(cutouts)
        return {"spectrum": create_spectrum_encoder(spec, grid, str(path))}
    if parsed.scheme != "ckpt":
        return _image(spec, path)
    folder = Path(parsed.name)
    modality = parsed.options.get("modality")
    if modality or ((folder / "image").is_dir() and (folder / "spectrum").is_dir()):
        wanted = [modality] if modality else ["image", "spectrum"]
        return {m: load_aligned(folder, m) for m in wanted}
    _, sidecar_path = encoder_paths(folder)
    family = json.loads(sidecar_path.read_text()).get("family") if sidecar_path.exists() else None
    if family in FAMILY_LOADERS:
        return FAMILY_LOADERS[family](parsed.name, path)
    return _image(spec, path)
