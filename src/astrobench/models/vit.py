"""Vision Transformers of the standard sizes, built on timm's `VisionTransformer`.

The sizes follow ViT (Dosovitskiy et al.) for tiny/small/base/large; `vit_huge` follows the
C-MAE paper's table (seed 000: 24 layers, width 1,536, 16 heads, ~680M parameters), which is
the ViT-H that astronomy MAE work reports. Any patch size, image size and number of input
channels (bands) is accepted.

The weights do not depend on the pooling: a model built with `pooling="mean"` and one built
with `pooling="cls"` share the same parameter names and shapes (both keep the class token and
the final norm; neither has an `fc_norm`), so a checkpoint can be evaluated either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from timm.models.vision_transformer import VisionTransformer

from astrobench.errors import ConfigError, UnknownNameError

POOLINGS = ("cls", "mean")
LAYERS = ("plain", "pcm")


@dataclass(frozen=True)
class VitSize:
    """Width, depth and heads of one ViT size."""

    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0


VIT_SIZES: dict[str, VitSize] = {
    "vit_tiny": VitSize(embed_dim=192, depth=12, num_heads=3),
    "vit_small": VitSize(embed_dim=384, depth=12, num_heads=6),
    "vit_base": VitSize(embed_dim=768, depth=12, num_heads=12),
    "vit_large": VitSize(embed_dim=1024, depth=24, num_heads=16),
    "vit_huge": VitSize(embed_dim=1536, depth=24, num_heads=16),
}

# timm's global_pool value for each pooling
TIMM_GLOBAL_POOL = {"cls": "token", "mean": "avg"}


def vit_size(arch: str) -> VitSize:
    """The size of `arch` ("vit_tiny", ..., "vit_huge"), or an UnknownNameError."""
    if arch not in VIT_SIZES:
        raise UnknownNameError(
            f"unknown ViT architecture {arch!r}", f"known: {', '.join(VIT_SIZES)}"
        )
    return VIT_SIZES[arch]


def build_vit(
    arch: str,
    patch_size: int,
    img_size: int,
    in_chans: int,
    *,
    pooling: str = "cls",
    class_token: bool = True,
    layer: str = "plain",
    drop_path_rate: float = 0.0,
    num_classes: int = 0,
    **overrides: Any,
) -> VisionTransformer:
    """A randomly initialised ViT of size `arch` for `in_chans`-band `img_size` px images.

    Args:
        arch: "vit_tiny" (192 wide, 12 deep, 3 heads), "vit_small", "vit_base", "vit_large"
            or "vit_huge".
        patch_size: side of the square patches in pixels; must divide `img_size`.
        img_size: side of the square input images in pixels.
        in_chans: number of input channels (bands).
        pooling: "cls" (class token) or "mean" (average of the patch tokens).
        class_token: False builds a ViT without a class token (then pooling must be "mean").
        layer: transformer block type: "plain" (timm's pre-norm block) or "pcm" (AstroMAE's
            parallel convolution module beside attention, models.pcm_block).
        drop_path_rate: stochastic depth rate (for fine-tuning).
        num_classes: size of a linear classification head; 0 means no head.
        **overrides: further keyword arguments for timm's VisionTransformer (e.g. mlp_ratio).

    Returns:
        A timm VisionTransformer; `forward_features` gives tokens [B, 1 + N, D] (or [B, N, D]
        without a class token) and `forward_head(..., pre_logits=True)` the pooled [B, D].
    """
    size = vit_size(arch)
    _check_vit_options(patch_size, img_size, in_chans, pooling, class_token, layer)
    kwargs: dict[str, Any] = {
        "img_size": img_size,
        "patch_size": patch_size,
        "in_chans": in_chans,
        "num_classes": num_classes,
        "global_pool": TIMM_GLOBAL_POOL[pooling],
        "embed_dim": size.embed_dim,
        "depth": size.depth,
        "num_heads": size.num_heads,
        "mlp_ratio": size.mlp_ratio,
        "class_token": class_token,
        "fc_norm": False,  # keep the final norm for both poolings: same weights either way
        "drop_path_rate": drop_path_rate,
    }
    if layer != "plain":
        from astrobench.models.pcm_block import block_fn_for

        kwargs["block_fn"] = block_fn_for(layer)
    kwargs.update(overrides)
    return VisionTransformer(**kwargs)


def set_vit_pooling(model: VisionTransformer, pooling: str) -> None:
    """Switch a timm ViT between class-token and mean-of-patch-tokens pooling, in place."""
    if pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}", f"choose one of {', '.join(POOLINGS)}")
    if pooling == "cls" and getattr(model, "cls_token", None) is None:
        raise ConfigError(
            "pooling 'cls' asked of a ViT without a class token", "use pooling 'mean'"
        )
    model.global_pool = TIMM_GLOBAL_POOL[pooling]  # type: ignore[assignment]


def _check_vit_options(
    patch_size: int, img_size: int, in_chans: int, pooling: str, class_token: bool, layer: str
) -> None:
    if pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}", f"choose one of {', '.join(POOLINGS)}")
    if layer not in LAYERS:
        raise ConfigError(
            f"unknown ViT layer type {layer!r}", f"this version builds: {', '.join(LAYERS)}"
        )
    if pooling == "cls" and not class_token:
        raise ConfigError("pooling 'cls' needs a class token", "use pooling 'mean'")
    if patch_size <= 0 or img_size <= 0 or img_size % patch_size:
        raise ConfigError(
            f"patch size {patch_size} does not divide image size {img_size}",
            "choose a patch size that divides the image side (e.g. 8 for 32 or 64 px)",
        )
    if in_chans <= 0:
        raise ConfigError(f"in_chans must be positive, got {in_chans}")
