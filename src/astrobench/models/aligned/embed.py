"""Embeddings of a cutout file's images and spectra by encoders of either modality.

Images are prepared by each image encoder's own recipe (`input_preparation`: bands, crop,
normalisation, resize), spectra go in as flux; objects are read in blocks. This is the direct
path (no cache) used by alignment validation and `astrobench search`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import read_spectra, require_spectra
from astrobench.models.backbone import Backbone
from astrobench.models.input_preparation import input_preparation, prepare_inputs

BLOCK_OBJECTS = 128


def _image_features(encoder: Backbone, cutouts: CutoutFile, indices: np.ndarray) -> np.ndarray:
    bands = encoder.meta.bands or cutouts.bands
    channels = cutouts.band_indices(bands)
    side = cutouts.image_shape[1]
    recipe = input_preparation(encoder.meta.to_dict(), channels, list(bands), side, "error")
    out = []
    for start in range(0, indices.size, BLOCK_OBJECTS):
        images = torch.from_numpy(cutouts.read_images(indices[start : start + BLOCK_OBJECTS]))
        x = prepare_inputs(images[:, channels], recipe)  # [b, C, S, S]
        out.append(encoder.forward_features(x).float().numpy())
    return np.concatenate(out) if out else np.empty((0, encoder.num_features), np.float32)


def _spectrum_features(encoder: Backbone, cutouts: CutoutFile, indices: np.ndarray) -> np.ndarray:
    grid = require_spectra(cutouts)
    encoder.check_grid(grid, str(cutouts.path))  # type: ignore[operator]
    out = []
    for start in range(0, indices.size, BLOCK_OBJECTS):
        flux, _ = read_spectra(cutouts.path, indices[start : start + BLOCK_OBJECTS])
        out.append(encoder.forward_features(torch.from_numpy(flux)).float().numpy())
    return np.concatenate(out) if out else np.empty((0, encoder.num_features), np.float32)


FEATURES = {"image": _image_features, "spectrum": _spectrum_features}


def embed_modalities(
    encoders: Mapping[str, Backbone], data: str | os.PathLike[str], indices: np.ndarray
) -> dict[str, np.ndarray]:
    """{modality: features [n, E]} of the objects `indices` for each encoder (keyed by modality)."""
    order = np.asarray(indices, dtype=np.int64)
    out = {}
    with CutoutFile(data) as cutouts, torch.inference_mode():
        for modality, encoder in encoders.items():
            out[modality] = FEATURES[modality](encoder.eval(), cutouts, order)
    return out
