"""How pixels are prepared for a backbone — one definition for embedding and for fine-tuning.

The recipe is a JSON-able dict (part of the embedding cache key): select channels, centre-crop
to the pretraining crop, asinh-stretch, normalise per channel, resize to the model's input. A
`ckpt:` encoder records its crop and stretch in its sidecar, so it sees at evaluation exactly
what it saw in pretraining.
"""

from __future__ import annotations

from typing import Any

import torch

from astrobench.errors import BandError
from astrobench.models.band_adapter import ASINH_SOFTENING


def input_preparation(
    meta: dict[str, Any], channels: list[int], bands: list[str], side: int, nan_policy: str
) -> dict[str, Any]:
    """The recipe for data of `side` px in `bands` fed to a backbone with metadata `meta`.

    Every per-channel value (mean, std, asinh softening) must have one entry per channel fed:
    band adapters remap them to the data's channels (see `band_adapter`).
    """
    extra = meta.get("extra", {})
    any_size = bool(extra.get("any_img_size"))
    target = int(meta["img_size"])
    crop = extra.get("input_crop_px")
    crop_to = int(crop) if crop and side > int(crop) else None
    per_channel = {
        ASINH_SOFTENING: extra.get(ASINH_SOFTENING),
        "mean": list(meta.get("mean") or [0.0] * len(channels)),
        "std": list(meta.get("std") or [1.0] * len(channels)),
    }
    for name, values in per_channel.items():
        if values is not None and len(values) != len(channels):
            raise BandError(
                f"backbone {meta.get('spec')!r} has {len(values)} {name} values for the "
                f"{len(channels)} bands fed ({','.join(bands)})",
                "feed the bands it was trained on (--bands) or name a band strategy (--adapt)",
            )
    return {
        "channels": channels,
        "bands": bands,
        "crop_to": crop_to,
        **per_channel,
        "resize_to": None if any_size or target == (crop_to or side) else target,
        "resize_mode": "bilinear-antialias",
        "pooling": meta.get("pooling"),
        "nan_policy": nan_policy,
    }


def requested_bands(value: str | list[str] | None) -> list[str] | None:
    """The `bands` setting ("g,r,z" or a list) as a list of names; None when not given."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else list(value)
    return [str(name).strip() for name in names if str(name).strip()] or None


def select_channels(images: torch.Tensor, recipe: dict[str, Any]) -> torch.Tensor:
    """Images in every band of the file [B, C_file, H, W] -> the recipe's channels [B, C, H, W]."""
    channels = list(recipe["channels"])
    if channels == list(range(images.shape[1])):
        return images
    return images[:, channels]


def prepare_inputs(images: torch.Tensor, recipe: dict[str, Any]) -> torch.Tensor:
    """Apply `recipe` to images [B, C, H, W] (channels already selected) -> [B, C, S, S]."""
    crop = recipe.get("crop_to")
    if crop is not None:
        top, left = (images.shape[-2] - crop) // 2, (images.shape[-1] - crop) // 2
        images = images[..., top : top + crop, left : left + crop]  # [B, C, crop, crop]
    softening = recipe.get("asinh_softening")
    if softening is not None:
        soft = torch.tensor(softening, dtype=images.dtype, device=images.device)
        images = torch.asinh(images / soft[None, :, None, None])
    mean = torch.tensor(recipe["mean"], dtype=images.dtype, device=images.device)
    std = torch.tensor(recipe["std"], dtype=images.dtype, device=images.device)
    x = (images - mean[None, :, None, None]) / std[None, :, None, None]  # [B, C, H, W]
    side = recipe["resize_to"]
    if side is not None:
        x = torch.nn.functional.interpolate(
            x, size=(side, side), mode="bilinear", antialias=True, align_corners=False
        )  # [B, C, S, S]
    return x
