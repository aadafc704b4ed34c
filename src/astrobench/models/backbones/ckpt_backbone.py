"""`ckpt:<path>`: our own encoder checkpoints (encoder.safetensors + encoder.json sidecar)."""

from __future__ import annotations

from astrobench.errors import CheckpointError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.band_adapter import ASINH_SOFTENING
from astrobench.models.encoder_checkpoint import encoder_paths, load_encoder_state
from astrobench.models.spec import BackboneSpec, BuildOptions
from astrobench.models.timm_wrapper import TimmBackbone
from astrobench.models.vit import build_vit
from astrobench.registry import register_backbone


@register_backbone("ckpt")
def ckpt_backbone(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    """Rebuild the ViT the sidecar describes and load its weights (strictly).

    An `img_size` other than the checkpoint's resamples the position embedding.
    """
    state, sidecar = load_encoder_state(spec.name)
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
            f"{spec.name}: weights do not fit {sidecar['arch']} ({problem})",
            "the sidecar and the weights come from different models; re-export the encoder",
        )
    if options.img_size and options.img_size != img_size:
        model.set_input_size(img_size=(options.img_size, options.img_size))
        img_size = options.img_size
    normalisation = dict(sidecar.get("normalisation") or {})
    in_chans = int(sidecar["in_chans"])
    meta = BackboneMeta(
        spec=spec.raw,
        in_chans=in_chans,
        img_size=img_size,
        num_features=int(model.num_features),
        bands=list(sidecar["bands"]) if sidecar.get("bands") else None,
        patch_size=patch_size,
        pooling=pooling,
        mean=[float(v) for v in normalisation.get("mean", [0.0] * in_chans)],
        std=[float(v) for v in normalisation.get("std", [1.0] * in_chans)],
        pretrained=True,
        source=str(encoder_paths(spec.name)[0]),
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
