"""`hf:<repo or folder>`: Hugging Face vision transformers (DINOv2, ViT-MAE, CLIP and SigLIP
vision towers, and other AutoModel ViTs) behind the uniform Backbone API.

Options: `?pooling=cls|mean`. A local folder written by `save_pretrained` (or a downloaded
snapshot) works offline: `hf:/path/to/folder`.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from astrobench.errors import BackboneError, WeightsNotFoundError
from astrobench.models.backbone import Backbone, BackboneMeta
from astrobench.models.depth_groups import depth_groups_by_name
from astrobench.models.hub_offline import offline_if_asked
from astrobench.models.source import BackboneSource
from astrobench.models.spec import BackboneSpec, BuildOptions
from astrobench.models.timm_wrapper import resolve_pooling
from astrobench.models.vit import POOLINGS
from astrobench.registry import register_backbone

_IMAGENET_MEAN, _IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# model_type -> transformers class name of the vision tower
_VISION_TOWERS = {
    "dinov2": "Dinov2Model",
    "vit_mae": "ViTMAEModel",
    "clip": "CLIPVisionModel",
    "clip_vision_model": "CLIPVisionModel",
    "siglip": "SiglipVisionModel",
    "siglip_vision_model": "SiglipVisionModel",
}


class HFBackbone(Backbone):
    """A transformers vision model: tokens from `last_hidden_state`, pooled by CLS or mean."""

    def __init__(self, model: Any, meta: BackboneMeta, n_prefix_tokens: int) -> None:
        super().__init__()
        self.model = model
        self.meta = meta
        self.n_prefix_tokens = n_prefix_tokens
        self._interpolate = meta.img_size != int(model.config.image_size)
        # CLIP's final norm (its module path differs between transformers versions)
        norms = [m for name, m in model.named_modules() if name.endswith("post_layernorm")]
        self._post_layernorm = norms[0] if norms else nn.Identity()

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        kwargs: dict[str, Any] = {"pixel_values": x}
        model_type = self.model.config.model_type
        if model_type == "vit_mae":  # keep every patch, in order (no random masking)
            n_patches = (x.shape[-1] // self.model.config.patch_size) ** 2
            kwargs["noise"] = torch.arange(n_patches, device=x.device).expand(len(x), -1).float()
        if self._interpolate and model_type != "dinov2":  # DINOv2 always interpolates
            kwargs["interpolate_pos_encoding"] = True
        hidden = self.model(**kwargs).last_hidden_state  # [B, P + N, D]
        if model_type.startswith("clip"):  # CLIP applies its final norm in the pooler only
            hidden = self._post_layernorm(hidden)
        return hidden

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self._hidden(x)[:, self.n_prefix_tokens :]  # [B, N, D]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self._hidden(x)  # [B, P + N, D]
        if self.meta.pooling == "cls":
            return hidden[:, 0]  # [B, D]
        return hidden[:, self.n_prefix_tokens :].mean(dim=1)  # [B, D]

    def depth_groups(self) -> list[list[str]]:
        names = [name for name, _ in self.model.named_parameters()]
        return [[f"model.{name}" for name in group] for group in depth_groups_by_name(names)]


def hf_backbone(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    """Load the vision tower of `spec.name` (hub repo id or local folder)."""
    model = _load(spec.name)
    config = model.config
    has_cls = config.model_type not in ("siglip", "siglip_vision_model")
    pooling = options.pooling or ("cls" if has_cls else "mean")
    if pooling == "cls" and not has_cls:
        resolve_pooling(nn.Identity(), pooling, "mean")  # raises: no class token to pool
    if pooling not in POOLINGS:
        resolve_pooling(model, pooling, "cls")
    mean, std = _normalisation(spec.name, int(config.num_channels))
    meta = BackboneMeta(
        spec=spec.raw,
        in_chans=int(config.num_channels),
        img_size=options.img_size or int(config.image_size),
        num_features=int(config.hidden_size),
        patch_size=int(config.patch_size),
        pooling=pooling,
        mean=mean,
        std=std,
        pretrained=True,
        source=f"hf:{spec.name}",
        license=str(getattr(config, "license", "") or "see the model card"),
        extra={"model_type": config.model_type},
    )
    n_prefix = 1 + int(getattr(config, "num_register_tokens", 0) or 0) if has_cls else 0
    return HFBackbone(model, meta, n_prefix)


def _load(name: str) -> Any:
    import transformers

    refuse_remote_code_folder(name)
    try:
        with offline_if_asked():
            return _from_pretrained(transformers, name)
    except (pickle.UnpicklingError, ValueError, RuntimeError) as exc:
        raise BackboneError(
            f"Hugging Face weights {name!r} cannot be loaded safely "
            f"({' '.join(str(exc).split())[:90]})",
            "pickled weights are loaded only with weights_only=True and remote code never "
            "runs; use a folder with config.json + model.safetensors",
        ) from exc
    except OSError as exc:
        raise WeightsNotFoundError(
            f"Hugging Face weights {name!r} are not available locally and cannot be downloaded "
            f"({' '.join(str(exc).split())[:90]})",
            "go online once to cache them, or download the repository (config.json + "
            "model.safetensors) and point at its folder: hf:/path/to/folder",
        ) from exc


def refuse_remote_code_folder(name: str) -> None:
    """Refuse, without asking, a local model folder that wants to run its own Python code."""
    folder = Path(name).expanduser()
    if not folder.is_dir():
        return
    config_file = folder / "config.json"
    try:
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    except (OSError, ValueError) as exc:
        raise BackboneError(f"{config_file}: not readable JSON", "re-save the model") from exc
    code_files = sorted(p.name for p in folder.glob("*.py"))
    auto_map = isinstance(config, dict) and bool(config.get("auto_map"))
    if auto_map or code_files:
        what = ", ".join((["auto_map"] if auto_map else []) + code_files)
        raise BackboneError(
            f"hf:{name} asks to run its own code ({what}); astrobench never runs remote code "
            "(trust_remote_code=False)",
            "use a model whose architecture transformers ships (config.json + model.safetensors)",
        )


def _from_pretrained(transformers: Any, name: str) -> Any:
    config = transformers.AutoConfig.from_pretrained(name, trust_remote_code=False)
    if getattr(config, "auto_map", None):
        raise BackboneError(
            f"hf:{name} asks to run its own code (auto_map); astrobench never runs remote code",
            "use a model whose architecture transformers ships",
        )
    model_class = getattr(transformers, _VISION_TOWERS.get(config.model_type, "AutoModel"))
    if config.model_type in ("clip", "siglip"):  # a full two-tower checkpoint
        config = config.vision_config
    if config.model_type == "vit_mae":
        config.mask_ratio = 0.0
    return model_class.from_pretrained(name, config=config, trust_remote_code=False)


def _normalisation(name: str, n_chans: int) -> tuple[list[float], list[float]]:
    """The image processor's mean/std when it ships one, else ImageNet's (3 channels)."""
    import transformers

    try:
        processor = transformers.AutoImageProcessor.from_pretrained(name, trust_remote_code=False)
        mean, std = list(processor.image_mean), list(processor.image_std)
    except (OSError, ValueError, AttributeError, TypeError):
        mean, std = _IMAGENET_MEAN, _IMAGENET_STD
    if len(mean) != n_chans:
        return [0.0] * n_chans, [1.0] * n_chans
    return [float(v) for v in mean], [float(v) for v in std]


def _hf_files(spec: BackboneSpec) -> list[Path]:
    folder = Path(spec.name).expanduser()
    return [folder] if folder.exists() else []  # a hub id: the hub cache is versioned itself


register_backbone("hf")(BackboneSource("hf", hf_backbone, weight_files=_hf_files))
