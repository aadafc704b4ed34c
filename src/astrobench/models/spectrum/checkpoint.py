"""Spectrum encoder checkpoints: `encoder.safetensors` + `encoder.json` (family "specformer").

Same container as the image encoders (format "astrobench-encoder" v1, weights written first,
both atomically), with the keys a spectrum encoder needs:

    {"format": "astrobench-encoder", "version": 1, "family": "specformer",
     "modality": "spectrum", "specformer": {SpecFormerConfig}, "wavelength": {"n_pixels": 3101,
     "min_angstrom": 3600.0, "max_angstrom": 9800.0}, "normalisation": {"kind": "per-spectrum",
     "std_floor": 0.2, ...}, "data_hash": "...", "epochs": 10, "source": "..."}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from astrobench.errors import CheckpointError
from astrobench.models.encoder_checkpoint import load_encoder_state, save_encoder
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig
from astrobench.models.spectrum.tokenize import STD_FLOOR

FAMILY = "specformer"


def spectrum_normalisation() -> dict[str, Any]:
    """How a SpecFormer normalises its input (recorded, never fitted: it is per spectrum)."""
    return {
        "kind": "per-spectrum",
        "std_floor": STD_FLOOR,
        "statistics_token": ["asinh(mean)", "log(std)"],
    }


def specformer_sidecar(encoder: SpecFormer, **extra: Any) -> dict[str, Any]:
    """The sidecar keys describing `encoder` (plus `extra`: data_hash, epochs, source, ...)."""
    config = encoder.config
    return {
        "family": FAMILY,
        "modality": "spectrum",
        "specformer": config.to_dict(),
        "wavelength": {
            "n_pixels": config.n_pixels,
            "min_angstrom": config.wavelength_min_angstrom,
            "max_angstrom": config.wavelength_max_angstrom,
        },
        "normalisation": spectrum_normalisation(),
        **extra,
    }


def save_state(
    folder: str | os.PathLike[str], state: Mapping[str, torch.Tensor], sidecar: Mapping[str, Any]
) -> Path:
    """Write FOLDER/encoder.safetensors then FOLDER/encoder.json atomically; the weights path."""
    return save_encoder(folder, dict(state), sidecar)


def load_state(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state dict, checked sidecar) of any astrobench encoder checkpoint."""
    return load_encoder_state(path)


def build_specformer(sidecar: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> SpecFormer:
    """The SpecFormer a sidecar describes, with `state` loaded (strict), in eval mode."""
    if sidecar.get("family") != FAMILY:
        raise CheckpointError(
            f"encoder family {sidecar.get('family')!r} is not a spectrum encoder ({FAMILY!r})",
            "give a checkpoint written by `astrobench pretrain specformer`",
        )
    encoder = SpecFormer(SpecFormerConfig.from_dict(sidecar["specformer"]))
    try:
        encoder.load_state_dict(dict(state), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights do not fit the sidecar ({exc})", "re-export it") from exc
    return encoder.eval()


def load_specformer(path: str | os.PathLike[str]) -> SpecFormer:
    """The spectrum encoder saved at `path` (a folder, .safetensors or .json)."""
    state, sidecar = load_state(path)
    return build_specformer(sidecar, state)
