"""Training-time augmentations of the training protocols (random flips and rotations: galaxy
images have no preferred orientation; seed 001 uses 45-degree rotations and flips)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from astrobench.errors import ConfigError


def train_transform(settings: Mapping[str, Any]) -> Any:
    """The transform named by settings["augment"]: "flip" (default), "flip_rotate" or "none"."""
    from astrobench.data.transforms import Compose, RandomFlip, RandomRotation

    name = str(settings.get("augment", "flip"))
    if name == "none":
        return None
    if name == "flip":
        return RandomFlip()
    if name == "flip_rotate":
        return Compose([RandomFlip(), RandomRotation(max_degrees=45.0)])
    raise ConfigError(f"unknown augment {name!r}", "use flip, flip_rotate or none")
