"""`timm:<name>`: any timm model; pretrained weights from the hub, a local file, or none.

Options: `?pretrained=false` (random init), `?file=/path/weights.safetensors` (local weights,
through timm's `pretrained_cfg_overlay`), `?pooling=cls|mean` (transformers).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from torch import nn

from astrobench.errors import UnknownNameError, WeightsNotFoundError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.hub_offline import offline_if_asked
from astrobench.models.source import BackboneSource
from astrobench.models.spec import BackboneSpec, BuildOptions
from astrobench.models.timm_wrapper import TimmBackbone, is_token_model, resolve_pooling
from astrobench.registry import register_backbone


def timm_backbone(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    """Build `timm.create_model(name, num_classes=0, ...)` as a Backbone."""
    import timm

    if not timm.is_model(spec.name):
        raise UnknownNameError(
            f"unknown timm model {spec.name!r}",
            "list them with `python -c \"import timm; print(timm.list_models('*vit*'))\"`",
        )
    local_file = spec.options.get("file")
    pretrained = bool(local_file) or spec.flag("pretrained", True)
    kwargs: dict[str, Any] = {"pretrained": pretrained, "num_classes": 0}
    if options.in_chans and not pretrained:
        kwargs["in_chans"] = options.in_chans
    if local_file:
        kwargs["pretrained_cfg_overlay"] = {"file": os.path.expanduser(local_file)}
    model = _create(spec, kwargs, options.img_size)
    return TimmBackbone(model, _meta(spec, model, pretrained, options))


def _create(spec: BackboneSpec, kwargs: dict[str, Any], img_size: int | None) -> nn.Module:
    import timm

    try:
        with offline_if_asked():
            return _create_sized(spec.name, kwargs, img_size)
    except (OSError, RuntimeError, ValueError) as exc:
        if not kwargs["pretrained"]:
            raise
        hub_id = timm.models.get_pretrained_cfg(spec.name.split(".")[0])
        weights = kwargs.get("pretrained_cfg_overlay", {}).get("file") or _hub_name(
            spec.name, hub_id
        )
        raise WeightsNotFoundError(
            f"pretrained weights {weights} for timm:{spec.name} are not available "
            f"({_first_line(exc)})",
            f"go online once to cache them, or point at a local file: "
            f"timm:{spec.name}?file=/path/weights.safetensors "
            "(or ?pretrained=false for random init)",
        ) from exc


def _create_sized(name: str, kwargs: dict[str, Any], img_size: int | None) -> nn.Module:
    """Create the model, passing img_size to models that take one (ViTs) and not to CNNs."""
    import timm

    if img_size is None:
        return timm.create_model(name, **kwargs)
    try:
        return timm.create_model(name, img_size=img_size, **kwargs)
    except TypeError as exc:
        if "img_size" not in str(exc):
            raise
        return timm.create_model(name, **kwargs)


def _meta(
    spec: BackboneSpec, model: nn.Module, pretrained: bool, options: BuildOptions
) -> BackboneMeta:
    cfg: dict[str, Any] = dict(getattr(model, "pretrained_cfg", {}) or {})
    in_chans = _in_chans(model, options)
    input_size = cfg.get("input_size", (3, 224, 224))
    token_model = is_token_model(model)
    img_size = options.img_size or _model_img_size(model) or int(input_size[-1])
    pooling = resolve_pooling(
        model, options.pooling, "cls" if getattr(model, "cls_token", None) is not None else "mean"
    )
    mean, std = list(cfg.get("mean", (0.0,) * 3)), list(cfg.get("std", (1.0,) * 3))
    if len(mean) != in_chans:  # random init with the data's band count: no image statistics
        mean, std = [0.0] * in_chans, [1.0] * in_chans
    return BackboneMeta(
        spec=spec.raw,
        in_chans=in_chans,
        img_size=img_size,
        num_features=int(model.num_features),  # type: ignore[arg-type]
        patch_size=_patch_size(model),
        pooling=pooling,
        mean=[float(v) for v in mean],
        std=[float(v) for v in std],
        pretrained=pretrained,
        source=_source(spec, cfg, pretrained),
        license=str(cfg.get("license", "")),
        # CNNs take any image size: the data is resized only when img_size is asked for
        extra={"any_img_size": not token_model and options.img_size is None},
    )


def _in_chans(model: nn.Module, options: BuildOptions) -> int:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return int(module.in_channels)
    return options.in_chans or 3


def _model_img_size(model: nn.Module) -> int | None:
    patch_embed = getattr(model, "patch_embed", None)
    size = getattr(patch_embed, "img_size", None)
    return int(size[0]) if isinstance(size, (tuple, list)) else None


def _patch_size(model: nn.Module) -> int | None:
    size = getattr(getattr(model, "patch_embed", None), "patch_size", None)
    return int(size[0]) if isinstance(size, (tuple, list)) else None


def _hub_name(name: str, cfg: Any) -> str:
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    return f"hf-hub:{hub_id}" if hub_id else f"for {name}"


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 100 else text[:97] + "..."


def _source(spec: BackboneSpec, cfg: dict[str, Any], pretrained: bool) -> str:
    if not pretrained:
        return f"timm:{spec.name} (random init)"
    return spec.options.get("file") or str(cfg.get("hf_hub_id") or f"timm:{spec.name}")


def _timm_random(spec: BackboneSpec) -> bool:
    return not spec.options.get("file") and not spec.flag("pretrained", True)


def _timm_files(spec: BackboneSpec) -> list[Path]:
    local = spec.options.get("file")
    return [Path(local).expanduser()] if local else []


register_backbone("timm")(
    BackboneSource("timm", timm_backbone, _timm_random, _timm_random, _timm_files)
)
