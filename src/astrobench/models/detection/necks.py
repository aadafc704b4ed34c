"""Necks that turn a backbone's features into the multi-scale maps Faster R-CNN reads.

- `fpn`: CNNs. The last four feature maps of the backbone (strides 4, 8, 16, 32) through
  torchvision's FeaturePyramidNetwork (Lin et al. 2017) with a max-pooled extra level.
- `simple_pyramid`: plain ViTs, as in ViTDet (Li et al. 2022, "Exploring Plain Vision
  Transformer Backbones for Object Detection"): only the last feature map (stride = patch size)
  is used; strides 4, 8, 16, 32 are built from it by 2x2 stride-2 deconvolutions (up),
  identity, or max pooling (down), each followed by a 1x1 and a 3x3 convolution with
  normalisation; an extra level is max-pooled from the stride-32 map. A patch size that is not
  a power of two (DINOv2's 14) is brought to the exact stride by interpolation.

Each neck is registered in NECKS; `default_neck` picks `simple_pyramid` for backbones with a
patch size (their metadata says they are token models) and `fpn` otherwise.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from astrobench.errors import UnknownNameError
from astrobench.models.backbone import Backbone

STRIDES = (4, 8, 16, 32)
LEVEL_NAMES = ("0", "1", "2", "3")
NECKS: dict[str, Callable[[Backbone, int, int], nn.Module]] = {}


def register_neck(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Register a neck builder `(backbone, out_channels, image_size) -> module`."""

    def decorate(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        NECKS[name] = builder
        return builder

    return decorate


def default_neck(backbone: Backbone) -> str:
    """`simple_pyramid` for token models (a patch size), `fpn` for CNNs."""
    return "simple_pyramid" if backbone.meta.patch_size else "fpn"


def build_neck(name: str, backbone: Backbone, out_channels: int, image_size: int) -> nn.Module:
    """The neck `name` for `backbone`; UnknownNameError for an unknown name."""
    if name not in NECKS:
        raise UnknownNameError(f"unknown detection neck {name!r}", f"known: {', '.join(NECKS)}")
    return NECKS[name](backbone, out_channels, image_size)


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(32, channels // 4) or 1, channels)


class SimpleFeaturePyramid(nn.Module):
    """ViTDet's pyramid from one map [B, D, h, w] of stride `patch_size`."""

    def __init__(self, in_channels: int, patch_size: int, out_channels: int) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.stages = nn.ModuleList()
        for stride in STRIDES:
            layers: list[nn.Module] = []
            channels = in_channels
            n_up = max(0, round(math.log2(patch_size / stride)))
            for step in range(n_up):
                layers.append(nn.ConvTranspose2d(channels, channels // 2, 2, stride=2))
                channels //= 2
                if step < n_up - 1:
                    layers += [_norm(channels), nn.GELU()]
            layers += [
                nn.Conv2d(channels, out_channels, 1, bias=False),
                _norm(out_channels),
                nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
                _norm(out_channels),
            ]
            self.stages.append(nn.Sequential(*layers))

    def forward(self, feature: torch.Tensor, image_hw: tuple[int, int]) -> OrderedDict:
        out: OrderedDict[str, torch.Tensor] = OrderedDict()
        for name, stride, stage in zip(LEVEL_NAMES, STRIDES, self.stages, strict=True):
            target = (max(1, image_hw[0] // stride), max(1, image_hw[1] // stride))
            x = feature
            upsamples = isinstance(next(iter(stage.children())), nn.ConvTranspose2d)
            if not upsamples and x.shape[-2:] != target:
                x = _to_size(x, target)  # pooled (or interpolated) before the convolutions
            x = stage(x)  # [B, out, ~target]
            if x.shape[-2:] != target:
                x = _to_size(x, target)
            out[name] = x
        out["pool"] = F.max_pool2d(out[LEVEL_NAMES[-1]], 1, 2, 0)
        return out


def _to_size(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Max-pool down by an integer factor when possible, else interpolate bilinearly."""
    h, w = x.shape[-2:]
    if h % size[0] == 0 and w % size[1] == 0 and h // size[0] == w // size[1]:
        k = h // size[0]
        return F.max_pool2d(x, k, k) if k > 1 else x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class TokenPyramid(nn.Module):
    """Backbone tokens [B, N, D] -> the map [B, D, H/p, W/p] -> SimpleFeaturePyramid."""

    def __init__(self, backbone: Backbone, out_channels: int) -> None:
        super().__init__()
        self.patch_size = int(backbone.meta.patch_size or 16)
        self.pyramid = SimpleFeaturePyramid(backbone.num_features, self.patch_size, out_channels)
        self.out_channels = out_channels

    def forward(self, backbone: Backbone, x: torch.Tensor) -> OrderedDict:
        tokens = backbone.forward_tokens(x)  # [B, N, D]
        h = x.shape[-2] // self.patch_size
        w = tokens.shape[1] // h
        feature = tokens.transpose(1, 2).reshape(len(x), -1, h, w)  # [B, D, h, w]
        return self.pyramid(feature, (x.shape[-2], x.shape[-1]))


class FeaturePyramid(nn.Module):
    """The backbone's last four maps (strides 4..32) through torchvision's FPN."""

    def __init__(self, backbone: Backbone, out_channels: int, image_size: int) -> None:
        super().__init__()
        from torchvision.ops import FeaturePyramidNetwork
        from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

        with torch.no_grad():
            probe = multiscale_features(backbone, torch.zeros(1, backbone.meta.in_chans, 64, 64))
        self.fpn = FeaturePyramidNetwork(
            [int(p.shape[1]) for p in probe], out_channels, extra_blocks=LastLevelMaxPool()
        )
        self.out_channels = out_channels

    def forward(self, backbone: Backbone, x: torch.Tensor) -> OrderedDict:
        maps = multiscale_features(backbone, x)
        return self.fpn(OrderedDict(zip(LEVEL_NAMES, maps, strict=True)))


def multiscale_features(backbone: Backbone, x: torch.Tensor) -> list[torch.Tensor]:
    """The last four feature maps [B, C_i, H/s_i, W/s_i] of a CNN backbone (timm's
    forward_intermediates), after the backbone's band adapter if it has one."""
    adapter = getattr(backbone, "adapter", None)
    inner = getattr(backbone, "inner", backbone)
    if adapter is not None:
        x = adapter(x)
    model = getattr(inner, "model", None)
    if model is None or not hasattr(model, "forward_intermediates"):
        raise UnknownNameError(
            f"backbone {backbone.meta.spec!r} gives no multi-scale feature maps",
            "use a timm CNN for the fpn neck, or --neck simple_pyramid for a ViT",
        )
    return list(model.forward_intermediates(x, indices=4, intermediates_only=True))


register_neck("simple_pyramid")(lambda backbone, out, size: TokenPyramid(backbone, out))
register_neck("fpn")(lambda backbone, out, size: FeaturePyramid(backbone, out, size))
