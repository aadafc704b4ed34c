"""How pixels are prepared for a backbone — one definition for embedding and for fine-tuning.

The recipe is a JSON-able dict (part of the embedding cache key): select channels, centre-crop
to the pretraining crop, asinh-stretch, normalise per channel, resize to the model's input. A
`ckpt:` encoder records its crop and stretch in its sidecar, so it sees at evaluation exactly
what it saw in pretraining.
"""

from __future__ import annotations

from typing import Any

import torch


def input_preparation(
    meta: dict[str, Any], channels: list[int], bands: list[str], side: int, nan_policy: str
) -> dict[str, Any]:
    """The recipe for data of `side` px in `bands` fed to a backbone with metadata `meta`."""
    extra = meta.get("extra", {})
    any_size = bool(extra.get("any_img_size"))
    target = int(meta["img_size"])
    crop = extra.get("input_crop_px")
    crop_to = int(crop) if crop and side > int(crop) else None
    return {
        "channels": channels,
        "bands": bands,
        "crop_to": crop_to,
        "asinh_softening": extra.get("asinh_softening"),
        "mean": list(meta.get("mean") or [0.0] * len(channels)),
        "std": list(meta.get("std") or [1.0] * len(channels)),
        "resize_to": None if any_size or target == (crop_to or side) else target,
        "resize_mode": "bilinear-antialias",
        "pooling": meta.get("pooling"),
        "nan_policy": nan_policy,
    }


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
