"""Validation of an alignment run: aligned embeddings of the validation pairs and their
cross-modal retrieval (recall@k and median rank, both directions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import read_spectra
from astrobench.metrics.retrieval import cross_modal_recall
from astrobench.models.aligned.encoder import AlignedEncoder
from astrobench.pretrain.clip_towers import Towers

BLOCK = 128


def aligned_embeddings(
    encoders: dict[str, AlignedEncoder], towers: Towers, data: Path, indices: np.ndarray
) -> dict[str, np.ndarray]:
    """{"image": [n, E], "spectrum": [n, E]} unit-norm embeddings of the objects `indices`."""
    out: dict[str, list[np.ndarray]] = {"image": [], "spectrum": []}
    with CutoutFile(data) as cutouts, torch.inference_mode():
        for start in range(0, indices.size, BLOCK):
            block = indices[start : start + BLOCK]
            images = torch.from_numpy(cutouts.read_images(block))  # [b, C, H, W]
            x = towers.recipe_inputs(images)
            out["image"].append(encoders["image"].eval().forward_features(x).numpy())
            flux, _ = read_spectra(data, block)
            spectra = encoders["spectrum"].eval().forward_features(torch.from_numpy(flux))
            out["spectrum"].append(spectra.numpy())
    return {m: np.concatenate(v) for m, v in out.items()}


def validation_retrieval(
    encoders: dict[str, AlignedEncoder], towers: Towers, data: Path, indices: np.ndarray
) -> dict[str, float]:
    """Cross-modal retrieval of the validation pairs (empty when there are fewer than two)."""
    if indices.size < 2:
        return {}
    z = aligned_embeddings(encoders, towers, data, indices)
    out = {
        f"image_to_spectrum_{k}": v
        for k, v in cross_modal_recall(z["image"], z["spectrum"]).items()
    }
    out.update(
        {
            f"spectrum_to_image_{k}": v
            for k, v in cross_modal_recall(z["spectrum"], z["image"]).items()
        }
    )
    out["n_pairs"] = float(indices.size)
    return out
