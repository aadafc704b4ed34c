"""Built-in randomly initialised ViTs for tests and CPU work: `vit_tiny_p8`, `vit_small_p8`, ...

Names are `<arch>_p<patch>`. Any number of input channels; image side 64 px unless asked
(patch 8 suits 32-64 px cutouts, patch 4 suits 16-32 px). `?layer=pcm` builds AstroMAE's
parallel-convolution blocks instead of plain ones (`vit_tiny_p8?layer=pcm`).
"""

from __future__ import annotations

from collections.abc import Callable

from astrobench.errors import UnknownNameError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.source import BackboneSource
from astrobench.models.spec import BUILTIN, BackboneSpec, BuildOptions
from astrobench.models.timm_wrapper import TimmBackbone
from astrobench.models.vit import build_vit
from astrobench.registry import register_backbone

DEFAULT_IMG_SIZE = 64
DEFAULT_IN_CHANS = 3


def _builtin_vit(arch: str, patch_size: int) -> Callable[[BackboneSpec, BuildOptions], Backbone]:
    def factory(spec: BackboneSpec, options: BuildOptions) -> Backbone:
        img_size = options.img_size or int(spec.options.get("img_size", DEFAULT_IMG_SIZE))
        in_chans = options.in_chans or DEFAULT_IN_CHANS
        pooling = options.pooling or spec.options.get("pooling", "cls")
        layer = spec.options.get("layer", "plain")
        model = build_vit(arch, patch_size, img_size, in_chans, pooling=pooling, layer=layer)
        meta = BackboneMeta(
            spec=spec.raw,
            in_chans=in_chans,
            img_size=img_size,
            num_features=int(model.num_features),
            patch_size=patch_size,
            pooling=pooling,
            mean=[0.0] * in_chans,
            std=[1.0] * in_chans,
            pretrained=False,
            source="astrobench built-in (random init)",
            license="MIT",
            extra={"arch": arch, "layer": layer},
        )
        return TimmBackbone(model, meta)

    factory.__doc__ = f"Random-init {arch} with {patch_size}px patches."
    return factory


BUILTIN_VITS = {
    f"{arch}_p{patch}": _builtin_vit(arch, patch)
    for arch in ("vit_tiny", "vit_small", "vit_base")
    for patch in (4, 8, 16)
}


def build_builtin(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    """A built-in ViT by name (`vit_tiny_p8`, ...), randomly initialised."""
    if spec.name not in BUILTIN_VITS:
        import difflib

        close = difflib.get_close_matches(spec.name, list(BUILTIN_VITS), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UnknownNameError(
            f"unknown backbone {spec.name!r}",
            f"{hint}built-in: {', '.join(sorted(BUILTIN_VITS))}; or timm:, hf:, ckpt:, catalog:",
        )
    return BUILTIN_VITS[spec.name](spec, options)


def _always(spec: BackboneSpec) -> bool:
    return True


register_backbone(BUILTIN)(BackboneSource(BUILTIN, build_builtin, _always, _always))
