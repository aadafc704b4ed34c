"""`ckpt:<path>`: our own encoder checkpoints (encoder.safetensors + encoder.json sidecar).

The sidecar's `family` (default "vit") names the ENCODER_FAMILIES entry that rebuilds the model,
and its `modality` what the encoder reads. A pretraining step that exports several encoders
(e.g. an aligned image and spectrum tower) writes one sub-folder per modality; `?modality=image`
picks one. `?init=random` gives the same architecture and the same input preparation (crop,
stretch, normalisation) at random initialisation: the fair baseline of a pretrained encoder.
"""

from __future__ import annotations

from pathlib import Path

import torch

from astrobench.errors import CheckpointError
from astrobench.models.backbone import Backbone
from astrobench.models.encoder_checkpoint import encoder_paths, load_encoder_state, read_sidecar
from astrobench.models.reinit import reinitialise
from astrobench.models.source import BackboneSource
from astrobench.models.spec import BackboneSpec, BuildOptions
from astrobench.registry import ENCODER_FAMILIES, register_backbone

DEFAULT_FAMILY = "vit"
INIT_OPTIONS = ("pretrained", "random")


def encoder_location(spec: BackboneSpec) -> Path:
    """The checkpoint path a spec names, with `?modality=` choosing a sub-folder."""
    path = Path(spec.name).expanduser()
    modality = spec.options.get("modality")
    if modality and path.is_dir() and (path / modality).is_dir():
        return path / modality
    return path


def ckpt_backbone(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    """Rebuild the encoder the sidecar describes, load its weights, or re-initialise them."""
    location = encoder_location(spec)
    state, sidecar = load_encoder_state(location)
    wanted = spec.options.get("modality")
    modality = str(sidecar.get("modality", "image"))
    if wanted and wanted != modality:
        raise CheckpointError(
            f"{location} is a {modality} encoder, not {wanted}",
            f"use ?modality={modality}, or point at the {wanted} encoder's folder",
        )
    family = ENCODER_FAMILIES.get(str(sidecar.get("family", DEFAULT_FAMILY)))
    source = str(encoder_paths(location)[0])
    backbone: Backbone = family(state, sidecar, options, spec.raw)
    backbone.meta.source = source
    if _random_init(spec):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(spec.options.get("seed", 0)))
            reinitialise(backbone)
        backbone.meta.pretrained = False
        backbone.meta.source = f"{source} (architecture only, random init)"
    return backbone


def _random_init(spec: BackboneSpec) -> bool:
    init = spec.options.get("init", "pretrained")
    if init not in INIT_OPTIONS:
        raise CheckpointError(
            f"unknown init={init!r} in {spec.raw!r}", "use init=pretrained or init=random"
        )
    return init == "random"


def _weight_files(spec: BackboneSpec) -> list[Path]:
    weights, sidecar = encoder_paths(encoder_location(spec))
    return [weights, sidecar]


def _modality(spec: BackboneSpec) -> str:
    return str(read_sidecar(encoder_location(spec)).get("modality", "image"))


def _never(spec: BackboneSpec) -> bool:
    return False


register_backbone("ckpt")(
    BackboneSource("ckpt", ckpt_backbone, _never, _random_init, _weight_files, _modality)
)
