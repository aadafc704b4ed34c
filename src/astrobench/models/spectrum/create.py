"""`create_spectrum_encoder(spec, grid)`: a spectrum encoder from a spec string.

    specformer_<size>        randomly initialised SpecFormer (tiny, small, base, paper) built
                             for the data's grid; `?seed=N` picks the initialisation
    ckpt:<folder or file>    any own spectrum encoder (`pretrain specformer`, or the aligned
                             spectrum tower of `pretrain clip`: ckpt:DIR?modality=spectrum)

Either way the encoder is checked against the data's wavelength grid before use.
"""

from __future__ import annotations

import numpy as np
import torch

from astrobench.errors import ConfigError, UnknownNameError
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone
from astrobench.models.spec import parse_spec
from astrobench.models.spectrum.specformer import SPECFORMER_SIZES, SpecFormer, SpecFormerConfig

RANDOM_PREFIX = "specformer_"


def create_spectrum_encoder(
    spec: str, wavelength_angstrom: np.ndarray, source: str = "the data"
) -> Backbone:
    """The spectrum encoder `spec`, fitted to (random init) or checked against the grid."""
    grid = np.asarray(wavelength_angstrom, dtype=np.float64)
    parsed = parse_spec(spec)
    if parsed.scheme == "ckpt":
        encoder = create_backbone(spec)
        if getattr(encoder, "modality", "image") != "spectrum":
            raise ConfigError(
                f"{spec} is an image encoder, not a spectrum encoder",
                "give a checkpoint of `pretrain specformer` or ckpt:CLIP_DIR?modality=spectrum",
            )
    elif parsed.name.startswith(RANDOM_PREFIX):
        config = SpecFormerConfig(
            int(grid.size), float(grid[0]), float(grid[-1]), parsed.name.removeprefix(RANDOM_PREFIX)
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(parsed.options.get("seed", 0)))
            encoder = SpecFormer(config, spec=spec)
    else:
        sizes = ", ".join(RANDOM_PREFIX + s for s in SPECFORMER_SIZES)
        raise UnknownNameError(
            f"unknown spectrum encoder {spec!r}", f"use ckpt:<folder> or one of {sizes}"
        )
    encoder.check_grid(grid, source)  # type: ignore[operator]
    encoder.meta.spec = spec
    return encoder.eval()
