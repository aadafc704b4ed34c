"""Fit a backbone to the bands of the data, by a named strategy (never silently).

Strategies:
    select:g,r,z  feed the named bands of the data, in that order, to the model's channels.
    inflate       rebuild the stem / patch-embedding convolution for the data's band count:
                  its kernel is averaged over the model's input channels, replicated over the
                  data's bands and scaled by (model channels / data bands), so an image with the
                  same value in every band gives the same activations as before.
    adapter       a learned 1x1 convolution from the data's bands to the model's channels,
                  initialised to the band average (trainable in fine-tuning protocols).

Input preparation (asinh stretch, normalisation) acts on the data's channels before the adapter,
so every per-channel value of it (`CHANNEL_DEFAULTS`: mean, std and a `ckpt:` encoder's asinh
softening) is carried over to the data's channels: a selected band takes the value of the model
channel it feeds; inflate and adapter average them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from astrobench.errors import BandError, ConfigError
from astrobench.models.backbone import Backbone, BackboneMeta

STRATEGIES = ("select:<bands>", "inflate", "adapter")
ASINH_SOFTENING = "asinh_softening"  # meta.extra key, set by ckpt: encoders pretrained on asinh
# Every per-input-channel value of the input preparation, with its value for an unused channel.
CHANNEL_DEFAULTS = {"mean": 0.0, "std": 1.0, ASINH_SOFTENING: 1.0}
_HINT = "choose a strategy: --adapt select:g,r,z (pick bands), inflate (stem weights) or adapter"


class BandSelect(nn.Module):
    """Pick channels `indices` of the input: [B, C_data, H, W] -> [B, len(indices), H, W]."""

    def __init__(self, indices: Sequence[int]) -> None:
        super().__init__()
        self.register_buffer("indices", torch.as_tensor(list(indices), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        indices: torch.Tensor = self.indices  # type: ignore[assignment]
        return x.index_select(1, indices)


class AdaptedBackbone(Backbone):
    """A backbone behind an input adapter (band selection or a learned 1x1 convolution)."""

    def __init__(self, inner: Backbone, adapter: nn.Module, bands: Sequence[str]) -> None:
        super().__init__()
        self.adapter = adapter
        self.inner = inner
        self.meta = copy.deepcopy(inner.meta)
        self.meta.in_chans = len(bands)
        self.meta.bands = list(bands)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.forward_features(self.adapter(x))  # [B, D]

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.forward_tokens(self.adapter(x))  # [B, N, D]

    def depth_groups(self) -> list[list[str]]:
        groups = [[f"inner.{name}" for name in group] for group in self.inner.depth_groups()]
        adapter_names = [f"adapter.{name}" for name, _ in self.adapter.named_parameters()]
        if groups:
            groups[0] = adapter_names + groups[0]
        return groups if groups else [adapter_names]


def adapt_bands(backbone: Backbone, bands: Sequence[str], strategy: str | None) -> Backbone:
    """`backbone` made to take images whose channels are `bands` (data band names, in order)."""
    bands = list(bands)
    if strategy is None:
        _check_fits(backbone, bands)
        backbone.meta.bands = bands
        return backbone
    if strategy.startswith("select:"):
        return _select(backbone, bands, strategy.removeprefix("select:"))
    if strategy == "inflate":
        return inflate_stem(backbone, bands)
    if strategy == "adapter":
        return _learned_adapter(backbone, bands)
    raise ConfigError(f"unknown band strategy {strategy!r}", f"known: {', '.join(STRATEGIES)}")


def _check_fits(backbone: Backbone, bands: list[str]) -> None:
    meta = backbone.meta
    if meta.bands is not None and list(meta.bands) != bands:
        raise BandError(
            f"backbone {meta.spec!r} was trained on bands {','.join(meta.bands)} but the data "
            f"has {','.join(bands)}",
            f"{_HINT}; e.g. --adapt select:{','.join(meta.bands)} if the data has those bands",
        )
    if meta.in_chans != len(bands):
        raise BandError(
            f"backbone {meta.spec!r} takes {meta.in_chans} input channels but the data has "
            f"{len(bands)} bands ({','.join(bands)})",
            _HINT,
        )


def _select(backbone: Backbone, bands: list[str], wanted_text: str) -> Backbone:
    wanted = [name.strip() for name in wanted_text.split(",") if name.strip()]
    missing = [name for name in wanted if name not in bands]
    if missing:
        raise BandError(
            f"band(s) {','.join(missing)} asked by select: are not in the data's bands "
            f"{','.join(bands)}",
            "select bands the data has",
        )
    if len(wanted) != backbone.meta.in_chans:
        raise BandError(
            f"select:{','.join(wanted)} gives {len(wanted)} channels but backbone "
            f"{backbone.meta.spec!r} takes {backbone.meta.in_chans}",
            f"select exactly {backbone.meta.in_chans} bands, or use inflate / adapter",
        )
    indices = [bands.index(name) for name in wanted]
    adapted = AdaptedBackbone(backbone, BandSelect(indices), bands)
    # Input preparation acts on the data's channels: selected ones take the model's values.
    remapped: dict[str, list[float] | None] = {}
    for name, values in channel_values(backbone.meta).items():
        if values is None:
            remapped[name] = None
            continue
        per_data_channel = [CHANNEL_DEFAULTS[name]] * len(bands)
        for model_channel, data_channel in enumerate(indices):
            per_data_channel[data_channel] = float(values[model_channel])
        remapped[name] = per_data_channel
    set_channel_values(adapted.meta, remapped)
    adapted.meta.extra = {**adapted.meta.extra, "band_strategy": f"select:{','.join(wanted)}"}
    return adapted


def _learned_adapter(backbone: Backbone, bands: list[str]) -> Backbone:
    conv = nn.Conv2d(len(bands), backbone.meta.in_chans, kernel_size=1, bias=True)
    with torch.no_grad():
        conv.weight.fill_(1.0 / len(bands))  # start as the band average
        nn.init.zeros_(conv.bias)  # type: ignore[arg-type]
    adapted = AdaptedBackbone(backbone, conv, bands)
    _average_normalisation(adapted, backbone, len(bands))
    adapted.meta.extra = {**adapted.meta.extra, "band_strategy": "adapter"}
    return adapted


def inflate_stem(backbone: Backbone, bands: Sequence[str]) -> Backbone:
    """Rebuild the first convolution taking the model's channels for len(bands) channels."""
    old_chans, new_chans = backbone.meta.in_chans, len(bands)
    parent, attr, conv = _stem_conv(backbone, old_chans)
    inflated = nn.Conv2d(
        new_chans,
        conv.out_channels,
        kernel_size=conv.kernel_size,  # type: ignore[arg-type]
        stride=conv.stride,  # type: ignore[arg-type]
        padding=conv.padding,  # type: ignore[arg-type]
        dilation=conv.dilation,  # type: ignore[arg-type]
        groups=conv.groups,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
    )
    with torch.no_grad():
        kernel = conv.weight.mean(dim=1, keepdim=True)  # [O, 1, k, k]
        inflated.weight.copy_(kernel.expand_as(inflated.weight) * (old_chans / new_chans))
        if conv.bias is not None and inflated.bias is not None:
            inflated.bias.copy_(conv.bias)
    setattr(parent, attr, inflated)
    _record_channel_count(backbone, old_chans, new_chans)
    _average_normalisation(backbone, backbone, new_chans)
    backbone.meta.in_chans, backbone.meta.bands = new_chans, list(bands)
    backbone.meta.extra = {**backbone.meta.extra, "band_strategy": "inflate"}
    return backbone


def _stem_conv(backbone: Backbone, in_chans: int) -> tuple[nn.Module, str, nn.Conv2d]:
    for name, module in backbone.named_modules():
        if isinstance(module, nn.Conv2d) and module.in_channels == in_chans:
            parent_name, _, attr = name.rpartition(".")
            return backbone.get_submodule(parent_name), attr, module
    raise BandError(
        f"backbone {backbone.meta.spec!r} has no stem convolution to inflate",
        "use --adapt adapter or select:<bands>",
    )


def _record_channel_count(backbone: Backbone, old: int, new: int) -> None:
    """Models that check their input channel count (HF patch embeddings) learn the new one."""
    for module in backbone.modules():
        for attr in ("num_channels", "in_chans"):
            if getattr(module, attr, None) == old:
                setattr(module, attr, new)
        config = getattr(module, "config", None)
        if getattr(config, "num_channels", None) == old:
            config.num_channels = new  # type: ignore[union-attr]


def channel_values(meta: BackboneMeta) -> dict[str, list[float] | None]:
    """Each per-input-channel value of `meta` (keys of CHANNEL_DEFAULTS); None where unset."""
    return {
        "mean": list(meta.mean) or None,
        "std": list(meta.std) or None,
        ASINH_SOFTENING: meta.extra.get(ASINH_SOFTENING),
    }


def set_channel_values(meta: BackboneMeta, values: dict[str, list[float] | None]) -> None:
    """Store per-channel values (as `channel_values` gives them) in `meta`."""
    meta.mean = list(values["mean"] or [])
    meta.std = list(values["std"] or [])
    if values[ASINH_SOFTENING] is not None or ASINH_SOFTENING in meta.extra:
        meta.extra = {**meta.extra, ASINH_SOFTENING: values[ASINH_SOFTENING]}


def _average_normalisation(target: Backbone, source: Backbone, n_chans: int) -> None:
    """Every data channel takes the average of the model channels' values (mixed channels)."""
    averaged: dict[str, list[float] | None] = {}
    for name, values in channel_values(source.meta).items():
        if values is None and name == ASINH_SOFTENING:
            averaged[name] = None
            continue
        values = values or [CHANNEL_DEFAULTS[name]]
        averaged[name] = [sum(values) / len(values)] * n_chans
    set_channel_values(target.meta, averaged)
