"""Training-time augmentations of the training protocols, selected by name.

A name is one or more pieces joined by "+": `flip` (random left-right and up-down flips),
`rotate45` (a random rotation by an angle uniform in [-45, 45] degrees, as torchvision's
`RandomRotation(45)`), `noise<sigma>` (additive Gaussian noise; sigma in units of each band's
pixel standard deviation over the training images, i.e. in normalised units as the paper's
inputs are), or `none`. Aliases name recipes: `flip_rotate` = flip+rotate45; `astromae` =
flip+rotate45+noise0.05 (seed 001 §III-A, first experiment); `astromae-full` =
flip+rotate45+noise0.20 (§III-E, the second experiment). Galaxy images have no preferred
orientation, so flips and rotations keep the label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from astrobench.errors import ConfigError
from astrobench.registry import Registry

Piece = Callable[[Sequence[float] | None], Any]
AUGMENTATIONS: Registry = Registry("augmentation")
ALIASES = {
    "flip_rotate": "flip+rotate45",
    "astromae": "flip+rotate45+noise0.05",
    "astromae-full": "flip+rotate45+noise0.20",
}
_NOISE = re.compile(r"noise(\d+(?:\.\d*)?|\.\d+)")


@AUGMENTATIONS.register("flip")
def _flip(band_std: Sequence[float] | None) -> Any:
    from astrobench.data.transforms import RandomFlip

    return RandomFlip()


@AUGMENTATIONS.register("rotate45")
def _rotate45(band_std: Sequence[float] | None) -> Any:
    from astrobench.data.transforms import RandomRotation

    return RandomRotation(max_degrees=45.0)


def _noise(sigma: float) -> Piece:
    def build(band_std: Sequence[float] | None) -> Any:
        from astrobench.data.transforms import GaussianNoise

        if band_std is None:
            raise ConfigError(
                f"noise{sigma:g} needs the data's per-band pixel scale",
                "pass band_std (see band_scale_needed) to train_transform",
            )
        return GaussianNoise([sigma * float(s) for s in band_std])

    return build


def pieces(name: str) -> list[str]:
    """The pieces an augmentation name stands for, aliases expanded; `none` gives []."""
    expanded = ALIASES.get(name, name)
    found = [p.strip() for p in expanded.split("+") if p.strip()]
    return [] if found == ["none"] else found


def band_scale_needed(name: str) -> bool:
    """True when the augmentation `name` adds noise (and so needs the data's band scale)."""
    return any(_NOISE.fullmatch(p) for p in pieces(name))


def train_transform(name: str, band_std: Sequence[float] | None = None) -> Any:
    """The training transform called `name`; None for "none".

    Args:
        name: an augmentation name (pieces joined by "+", or an alias).
        band_std: per-band pixel standard deviation of the training images (needed by noise).
    """
    from astrobench.data.transforms import Compose

    built = [_piece(p, name)(band_std) for p in pieces(name)]
    if not built:
        return None
    return built[0] if len(built) == 1 else Compose(built)


def _piece(piece: str, name: str) -> Piece:
    noise = _NOISE.fullmatch(piece)
    if noise:
        return _noise(float(noise.group(1)))
    if piece in AUGMENTATIONS:
        factory: Piece = AUGMENTATIONS.get(piece)
        return factory
    known = [*AUGMENTATIONS.names(), "noise<sigma>", "none", *ALIASES]
    raise ConfigError(
        f"unknown augment {name!r} (piece {piece!r})",
        f"join pieces with +, from: {', '.join(known)}",
    )
