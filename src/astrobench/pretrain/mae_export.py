"""Export a pretrained MAE encoder as an astrobench own checkpoint (`ckpt:DIR/encoder.safetensors`).

The decoder is discarded (seed 000 Appendix B). The encoder is a timm VisionTransformer, so its
state dict is saved with timm's parameter names, next to the JSON sidecar that says how to
rebuild it (architecture, patch, image size, bands, layer, pooling) and how its inputs were
normalised during pretraining. Written by the backbones' `save_encoder`, so the files are
exactly what the `ckpt:` loader reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from astrobench.models.encoder_checkpoint import save_encoder
from astrobench.pretrain.mae import MaskedAutoencoder


def encoder_sidecar(
    model: MaskedAutoencoder,
    bands: list[str],
    normalisation: dict[str, Any],
    data_hash: str,
    epochs: int,
    split_seed: int = 0,
    split_scheme: str = "standard",
) -> dict[str, Any]:
    """The `encoder.json` contents for the encoder of `model` (see models/encoder_checkpoint.py)."""
    config = model.config
    # Only a non-standard scheme is written, so standard sidecars are unchanged.
    scheme = {"split_scheme": split_scheme} if split_scheme != "standard" else {}
    return {
        **scheme,
        "family": "vit",
        "modality": "image",
        "arch": config.arch,
        "patch_size": config.patch_size,
        "img_size": config.img_size,
        "in_chans": config.in_chans,
        "bands": list(bands),
        "pooling": config.pooling,
        "class_token": config.pooling == "cls",
        "layer": config.layer,
        "normalisation": normalisation,
        "data_hash": data_hash,
        "split_seed": split_seed,
        "epochs": epochs,
        "source": "astrobench pretrain mae",
        "pretrainer": {"method": "mae", **config.to_dict()},
    }


def export_encoder(
    model: MaskedAutoencoder,
    out_dir: str | os.PathLike[str],
    *,
    bands: list[str],
    normalisation: dict[str, Any],
    data_hash: str,
    epochs: int,
    split_seed: int = 0,
    split_scheme: str = "standard",
) -> Path:
    """Write DIR/encoder.safetensors and DIR/encoder.json atomically; return the weights path."""

    sidecar = encoder_sidecar(
        model, bands, normalisation, data_hash, epochs, split_seed, split_scheme
    )
    return save_encoder(out_dir, model.encoder, sidecar)
