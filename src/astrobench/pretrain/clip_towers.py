"""The two towers of a CLIP run, built for one cutout file, and how raw data becomes tokens.

The image tower is any backbone spec (built for the file's bands, or refusing them with a
BandError naming the missing bands); its inputs are prepared by the same recipe as every
embedding (`input_preparation`). The spectrum tower is a spectrum encoder spec, checked against
the file's wavelength grid. Both run in eval mode; frozen towers run under inference mode.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import require_spectra
from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.input_preparation import input_preparation, prepare_inputs
from astrobench.models.spectrum.create import create_spectrum_encoder
from astrobench.models.spectrum.specformer import SpecFormerConfig


@dataclass
class Towers:
    """The image and spectrum towers and what feeding the image tower needs."""

    image: Backbone
    spectrum: Backbone  # a spectrum encoder: SpecFormer, or an aligned spectrum tower
    image_spec: str
    spectrum_spec: str
    channels: list[int]  # the file's channels the image tower reads, in its band order
    bands: list[str]
    recipe: dict[str, Any]  # input_preparation of the image tower

    def recipe_inputs(self, images: torch.Tensor) -> torch.Tensor:
        """Image tower inputs [B, C, S, S] of raw images [B, C_file, H, W]."""
        return prepare_inputs(images[:, self.channels], self.recipe)

    def image_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """Tokens [B, N, D] of raw images [B, C_file, H, W] (channels selected here)."""
        return self.image.forward_tokens(self.recipe_inputs(images))

    def spectrum_tokens(self, flux: torch.Tensor) -> torch.Tensor:
        """Tokens [B, K+1, D] of raw flux [B, L]."""
        return self.spectrum.forward_tokens(flux)

    def build_options(self) -> dict[str, Any]:
        """How the image tower was built (recorded in the aligned encoder's sidecar)."""
        return {"bands": self.bands, "img_size": self.image.meta.img_size}


def build_towers(
    data: str | os.PathLike[str],
    image_spec: str,
    spectrum_spec: str,
    image_bands: Sequence[str] | None = None,
) -> Towers:
    """Both towers for the cutout file `data`; every incompatibility is a one-line error."""
    with CutoutFile(data) as cutouts:
        grid = require_spectra(cutouts)
        bands = list(image_bands) if image_bands else list(cutouts.bands)
        channels = cutouts.band_indices(bands)
        side = cutouts.image_shape[1]
        source = str(cutouts.path)
    spectrum = create_spectrum_encoder(spectrum_spec, grid, source)
    if not isinstance(getattr(spectrum, "config", None), SpecFormerConfig):
        raise ConfigError(
            f"{spectrum_spec} is not a SpecFormer (an aligned tower cannot be aligned again)",
            "give a `pretrain specformer` checkpoint or specformer_<size>",
        )
    image = create_backbone(image_spec, bands=bands, img_size=natural_img_size(image_spec, side))
    recipe = input_preparation(image.meta.to_dict(), channels, bands, side, "error")
    return Towers(image, spectrum, image_spec, spectrum_spec, channels, bands, recipe)


def freeze(module: torch.nn.Module) -> None:
    """No gradients and eval mode for every parameter of `module`."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)


def tower_identity(towers: Towers) -> dict[str, Any]:
    """What the cached tokens depend on (besides the data): weights and input recipe."""
    return {
        "image_weights": towers.image.weights_hash(),
        "spectrum_weights": towers.spectrum.weights_hash(),
        "recipe": towers.recipe,
        "spectrum_config": towers.spectrum.meta.to_dict(),
    }


def token_shapes(towers: Towers, image_shape: tuple[int, int, int], n_pixels: int):
    """((N_image, D_image), (N_spectrum, D_spectrum)) of one object's tokens."""
    with torch.inference_mode():
        image = towers.image_tokens(torch.zeros(1, *image_shape))
        spectrum = towers.spectrum_tokens(torch.ones(1, n_pixels))
    return tuple(image.shape[1:]), tuple(spectrum.shape[1:])


def as_float_array(values: np.ndarray) -> torch.Tensor:
    """A float32 tensor of a (possibly float16, memory-mapped) token array."""
    return torch.from_numpy(np.asarray(values, dtype=np.float32))
