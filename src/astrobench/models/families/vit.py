"""The `vit` encoder family: a timm VisionTransformer from `models.vit.build_vit` (MAE encoders)."""

from __future__ import annotations

from typing import Any

import torch

from astrobench.errors import CheckpointError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.band_adapter import ASINH_SOFTENING
from astrobench.models.spec import BuildOptions
from astrobench.models.timm_wrapper import TimmBackbone
from astrobench.models.vit import build_vit
from astrobench.registry import register_encoder_family


@register_encoder_family("vit")
def build_vit_encoder(
    state: dict[str, torch.Tensor], sidecar: dict[str, Any], options: BuildOptions, source: str
) -> Backbone:
    """Rebuild the ViT the sidecar describes and load its weights (strictly).

    An `img_size` other than the checkpoint's resamples the position embedding.
    """
    pooling = options.pooling or str(sidecar["pooling"])
    img_size, patch_size = int(sidecar["img_size"]), int(sidecar["patch_size"])
    model = build_vit(
        str(sidecar["arch"]),
        patch_size,
        img_size,
        int(sidecar["in_chans"]),
        pooling=pooling,
        class_token="cls_token" in state,
        layer=str(sidecar["layer"]),
    )
    _load_strictly(model, state, source, str(sidecar["arch"]))
    if options.img_size and options.img_size != img_size:
        model.set_input_size(img_size=(options.img_size, options.img_size))
        img_size = options.img_size
    normalisation = dict(sidecar.get("normalisation") or {})
    in_chans = int(sidecar["in_chans"])
    meta = BackboneMeta(
        spec=source,
        in_chans=in_chans,
        img_size=img_size,
        num_features=int(model.num_features),
        bands=list(sidecar["bands"]) if sidecar.get("bands") else None,
        patch_size=patch_size,
        pooling=pooling,
        mean=[float(v) for v in normalisation.get("mean", [0.0] * in_chans)],
        std=[float(v) for v in normalisation.get("std", [1.0] * in_chans)],
        pretrained=True,
        source=source,
        license=str(sidecar.get("license", "")),
        extra={
            "sidecar": sidecar,
            # How pretraining prepared its inputs; embedding and fine-tuning repeat it.
            "input_crop_px": normalisation.get("crop_px"),
            ASINH_SOFTENING: (
                normalisation.get("softening") if normalisation.get("kind") == "asinh" else None
            ),
        },
    )
    return TimmBackbone(model, meta)


def _load_strictly(model: Any, state: dict[str, torch.Tensor], source: str, arch: str) -> None:
    try:
        result = model.load_state_dict(state, strict=False)
        problem = (
            f"missing {result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]}"
            if result.missing_keys or result.unexpected_keys
            else ""
        )
    except RuntimeError as exc:  # same names, different shapes
        problem = " ".join(str(exc).split())[:120]
    if problem:
        raise CheckpointError(
            f"{source}: weights do not fit {arch} ({problem})",
            "the sidecar and the weights come from different models; re-export the encoder",
        )
