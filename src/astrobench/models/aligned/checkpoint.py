"""Aligned-encoder checkpoints: one folder per tower of a CLIP run (`DIR/image`, `DIR/spectrum`).

`encoder.safetensors` holds the tower's weights (`tower.*`) and its head's (`head.*`);
`encoder.json` names the family ("clip-image" / "clip-spectrum"), the modality, the head's
sizes and how to rebuild the tower:

    "tower": {"spec": "vit_tiny_p8", "build": {"bands": [...], "img_size": 32}}     (image)
    "tower": {"spec": "ckpt:runs/spec", "specformer": {SpecFormerConfig}}           (spectrum)

An image tower is rebuilt from its spec (so its architecture source must be available: a
built-in, a timm name, or the original checkpoint) and then given the saved weights; a
spectrum tower is rebuilt from its recorded configuration alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from astrobench.errors import CheckpointError
from astrobench.models.aligned.encoder import AlignedEncoder
from astrobench.models.aligned.head import CrossAttentionHead, HeadConfig
from astrobench.models.backbone import Backbone
from astrobench.models.spectrum.checkpoint import load_state, save_state
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig

MODALITIES = ("image", "spectrum")


def aligned_family(modality: str) -> str:
    return f"clip-{modality}"


def save_aligned(
    folder: str | os.PathLike[str], encoder: AlignedEncoder, tower: Mapping[str, Any], **extra: Any
) -> Path:
    """Write FOLDER/encoder.safetensors + encoder.json for `encoder`; the weights path."""
    sidecar = {
        "family": aligned_family(encoder.modality),
        "modality": encoder.modality,
        "tower": dict(tower),
        "head": encoder.head.config.to_dict(),
        "embed_dim": encoder.head.config.embed_dim,
        **extra,
    }
    return save_state(folder, encoder.state_dict(), sidecar)


def _image_tower(tower: Mapping[str, Any]) -> Backbone:
    from astrobench.models.create import create_backbone

    build = tower.get("build", {})
    return create_backbone(
        str(tower["spec"]), bands=build.get("bands"), img_size=build.get("img_size")
    )


def _spectrum_tower(tower: Mapping[str, Any]) -> Backbone:
    return SpecFormer(SpecFormerConfig.from_dict(tower["specformer"]), spec=str(tower["spec"]))


TOWER_BUILDERS: dict[str, Callable[[Mapping[str, Any]], Backbone]] = {
    "image": _image_tower,
    "spectrum": _spectrum_tower,
}


def build_aligned(
    sidecar: Mapping[str, Any], state: Mapping[str, Any], spec: str = ""
) -> AlignedEncoder:
    """The aligned encoder a sidecar describes, with `state` loaded strictly, in eval mode."""
    modality = str(sidecar.get("modality"))
    if sidecar.get("family") != aligned_family(modality) or modality not in TOWER_BUILDERS:
        raise CheckpointError(
            f"encoder family {sidecar.get('family')!r} is not an aligned (CLIP) encoder",
            "give a folder written by `astrobench pretrain clip` and ?modality=image|spectrum",
        )
    tower = TOWER_BUILDERS[modality](sidecar["tower"])
    encoder = AlignedEncoder(tower, CrossAttentionHead(HeadConfig(**sidecar["head"])), spec)
    try:
        encoder.load_state_dict(dict(state), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights do not fit the sidecar ({exc})", "re-export it") from exc
    return encoder.eval()


def load_aligned(path: str | os.PathLike[str], modality: str | None = None) -> AlignedEncoder:
    """The aligned encoder at `path` (a tower folder, or a CLIP run folder plus `modality`)."""
    folder = Path(path)
    if modality is not None:
        if modality not in MODALITIES:
            raise CheckpointError(f"unknown modality {modality!r}", "use image or spectrum")
        folder = folder / modality
    state, sidecar = load_state(folder)
    return build_aligned(
        sidecar, state, spec=f"ckpt:{path}" + (f"?modality={modality}" if modality else "")
    )
