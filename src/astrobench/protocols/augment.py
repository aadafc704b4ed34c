"""Training-time augmentations of the training protocols, by name (galaxy images have no
preferred orientation; seed 001 uses 45-degree rotations and flips)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from astrobench.errors import ConfigError


def _flip() -> Any:
    from astrobench.data.transforms import RandomFlip

    return RandomFlip()


def _flip_rotate() -> Any:
    from astrobench.data.transforms import Compose, RandomFlip, RandomRotation

    return Compose([RandomFlip(), RandomRotation(max_degrees=45.0)])


AUGMENTATIONS: dict[str, Callable[[], Any]] = {
    "none": lambda: None,
    "flip": _flip,
    "flip_rotate": _flip_rotate,
}


def train_transform(name: str) -> Any:
    """The training transform called `name` (see AUGMENTATIONS)."""
    if name not in AUGMENTATIONS:
        raise ConfigError(f"unknown augment {name!r}", f"use one of {', '.join(AUGMENTATIONS)}")
    return AUGMENTATIONS[name]()
