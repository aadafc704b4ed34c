"""`build_hybrid`: a `HybridPhotoZ` for a variant, a backbone spec and the data's bands and size."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.hybrid.inception import InceptionBranch
from astrobench.models.hybrid.magnitude import MagnitudeBlock
from astrobench.models.hybrid.model import HybridPhotoZ, ImageStats, cnn_recipe_from
from astrobench.models.hybrid.variants import HybridVariant
from astrobench.models.input_preparation import input_preparation
from astrobench.models.reinit import reinitialise


def spec_layer(spec: str) -> str:
    """ "plain" or "pcm" for a ViT spec without building it (a ckpt's sidecar, `?layer=`)."""
    from astrobench.models.encoder_checkpoint import read_sidecar
    from astrobench.models.spec import parse_spec

    parsed = parse_spec(spec)
    if parsed.scheme == "ckpt":
        return str(read_sidecar(parsed.name).get("layer", "plain"))
    return parsed.options.get("layer", "plain")


def encoder_layer(backbone: Backbone) -> str:
    """ "plain" or "pcm": the block type of a built-in or checkpointed ViT."""
    extra = backbone.meta.extra
    sidecar = extra.get("sidecar") or {}
    return str(extra.get("layer") or sidecar.get("layer") or "plain")


def build_hybrid(
    variant: HybridVariant,
    *,
    backbone: str | None,
    bands: Sequence[str],
    side: int,
    magnitude_stats: tuple[Sequence[float], Sequence[float]] | None = None,
    image_stats: ImageStats | None = None,
    inception_width: float = 1.0,
    head_hidden: int = 128,
    seed: int = 0,
) -> HybridPhotoZ:
    """Build every part of `variant` with weights seeded by `seed`.

    Args:
        variant: the architecture (see variants.py).
        backbone: the ViT encoder spec (`ckpt:...` for a pretrained one, a built-in name such as
            `vit_tiny_p8?layer=pcm` otherwise); required when the variant has a ViT.
        bands: the data's band names, in channel order.
        side: the data's cutout side in pixels.
        magnitude_stats: (mean, std) of each magnitude column on the training split; its length
            sets the number of magnitude inputs. Required when the variant has magnitudes.
        image_stats: per-band normalisation of the Inception branch (default: the ViT's).
        inception_width: width multiplier of the Inception branch.
        head_hidden: hidden width of the head.
        seed: seed of every random initialisation.
    """
    encoder = _encoder(variant, backbone, bands, side)
    recipe = input_preparation(
        encoder.meta.to_dict() if encoder is not None else _plain_meta(len(bands), side),
        list(range(len(bands))),
        list(bands),
        side,
        nan_policy="error",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if encoder is not None and variant.init == "scratch":
            reinitialise(encoder)
        inception = (
            InceptionBranch(len(bands), inception_width) if "inception" in variant.parts else None
        )
        magnitude = _magnitude_block(variant, magnitude_stats)
        return HybridPhotoZ(
            variant,
            encoder=encoder,
            inception=inception,
            magnitude=magnitude,
            recipe=recipe,
            cnn_recipe=cnn_recipe_from(recipe, image_stats),
            head_hidden=head_hidden,
        )


def _encoder(
    variant: HybridVariant, spec: str | None, bands: Sequence[str], side: int
) -> Backbone | None:
    if "vit" not in variant.parts:
        return None
    if not spec:
        raise ConfigError(
            f"variant {variant.name} needs a ViT encoder",
            "give --backbone ckpt:<encoder> or a built-in",
        )
    encoder = create_backbone(spec, bands=list(bands), img_size=natural_img_size(spec, side))
    layer = encoder_layer(encoder)
    if layer != variant.layer:
        raise ConfigError(
            f"variant {variant.name} wants a {variant.layer} ViT but {spec} is {layer}",
            f"use a {variant.layer} encoder or the {layer} variant",
        )
    if variant.init == "pretrained" and not encoder.meta.pretrained:
        raise ConfigError(
            f"variant {variant.name} fine-tunes a pretrained encoder; {spec} is random-init",
            "give ckpt:<encoder from astrobench pretrain mae>, or use the scratch variant",
        )
    return encoder


def _magnitude_block(
    variant: HybridVariant, stats: tuple[Sequence[float], Sequence[float]] | None
) -> MagnitudeBlock | None:
    if "magnitude" not in variant.parts:
        return None
    if stats is None:
        raise ConfigError(
            f"variant {variant.name} needs magnitude columns", "give --magnitudes mag_u,mag_g,..."
        )
    mean, std = stats
    return MagnitudeBlock(len(mean), mean, std)


def _plain_meta(n_bands: int, side: int) -> dict[str, object]:
    """Metadata of 'no encoder': the data's own size, no normalisation of its own."""
    return {"img_size": side, "mean": [0.0] * n_bands, "std": [1.0] * n_bands, "extra": {}}
