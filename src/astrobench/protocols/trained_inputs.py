"""What a training protocol feeds its backbone, by the backbone's modality.

The backbone's source says which modality its encoder reads (`BackboneSource.modality`: a
`ckpt:` encoder's sidecar, e.g. "spectrum" for `pretrain specformer` and CLIP spectrum towers).
Each modality says how the backbone + head is built, which entry of a training batch it reads,
how evaluation reads a block of objects, and which augmentations apply; `run_trained_protocol`
asks it and never the modality's name, so every training protocol (finetune, partial,
unfreeze, lora, scratch) trains image and spectrum encoders alike.

    image     BackboneWithHead on the file's bands (input preparation as `embed_file`)
    spectrum  SpectrumWithHead on the flux [B, L]; the encoder is checked against the file's
              wavelength grid and standardises each spectrum itself; the image
              augmentations of `augment` do not apply to it
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.source import source_of
from astrobench.models.spec import parse_spec

if TYPE_CHECKING:
    from astrobench.protocols.base import ProtocolRequest
    from astrobench.protocols.settings import TrainedSettings
    from astrobench.protocols.trained import TrainedMode

Reader = Callable[[CutoutFile, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ModalityInputs:
    """How a training protocol feeds encoders of one modality."""

    key: str  # the batch entry the model reads
    build: Callable[[ProtocolRequest, TrainedMode, TrainedSettings, Path], nn.Module]
    read: Reader  # model inputs of a block of objects, in the order given
    with_spectra: bool  # the training dataset must read spectra
    transform: Callable[[TrainedSettings, Path, np.ndarray], Any]  # the training transform


class SpectrumWithHead(nn.Module):
    """flux [B, L] -> spectrum encoder [B, D] -> head [B, K]."""

    def __init__(self, backbone: Backbone, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, flux: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone.forward_features(flux))  # [B, K]


def _build_image(
    request: ProtocolRequest, mode: TrainedMode, settings: TrainedSettings, path: Path
) -> nn.Module:
    from astrobench.protocols.trained import build_model

    with CutoutFile(path) as cutouts:
        bands = list(settings.embed.bands or cutouts.bands)
        channels, side = cutouts.band_indices(bands), int(cutouts.image_shape[-1])
    return build_model(request, mode, settings, bands, channels, side)


def _build_spectrum(
    request: ProtocolRequest, mode: TrainedMode, settings: TrainedSettings, path: Path
) -> nn.Module:
    from astrobench.data.spectrum_dataset import require_spectra
    from astrobench.models.spectrum.create import create_spectrum_encoder
    from astrobench.protocols.trained import prepare_backbone_and_head

    with CutoutFile(path) as cutouts:
        grid = require_spectra(cutouts)
    backbone = create_spectrum_encoder(request.backbone, grid, str(path))
    return SpectrumWithHead(backbone, prepare_backbone_and_head(backbone, request, mode, settings))


def _image_transform(settings: TrainedSettings, path: Path, train: np.ndarray) -> Any:
    from astrobench.data.transforms import ZScore
    from astrobench.protocols.augment import band_scale_needed, train_transform

    band_std = ZScore.fit(path, train).std if band_scale_needed(settings.augment) else None
    return train_transform(settings.augment, band_std)


def _no_transform(settings: TrainedSettings, path: Path, train: np.ndarray) -> Any:
    return None  # `augment` (flips, rotations, band scaling) acts on images only


def _read_images(cutouts: CutoutFile, indices: np.ndarray) -> np.ndarray:
    return cutouts.read_images(indices)  # [b, C, H, W]


def _read_flux(cutouts: CutoutFile, indices: np.ndarray) -> np.ndarray:
    from astrobench.data.spectrum_dataset import read_spectra

    return read_spectra(cutouts.path, indices)[0]  # [b, L]


INPUTS: dict[str, ModalityInputs] = {
    "image": ModalityInputs("image", _build_image, _read_images, False, _image_transform),
    "spectrum": ModalityInputs("spectrum", _build_spectrum, _read_flux, True, _no_transform),
}


def modality_inputs(backbone: str) -> ModalityInputs:
    """The inputs of the modality the backbone's source says its encoder reads."""
    from astrobench.models.spectrum.create import RANDOM_PREFIX

    parsed = parse_spec(backbone)
    if not parsed.scheme and parsed.name.startswith(RANDOM_PREFIX):  # specformer_<size>
        return INPUTS["spectrum"]
    modality = source_of(parsed).modality(parsed)
    if modality not in INPUTS:
        raise ConfigError(
            f"{backbone} reads {modality!r} inputs; training protocols feed "
            f"{', '.join(INPUTS)} encoders",
            "use a frozen protocol for this backbone",
        )
    return INPUTS[modality]
