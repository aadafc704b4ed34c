"""Embeddings of a file's spectra by a spectrum encoder, through the shared embedding cache.

The cache key holds the modality ("spectrum"), the encoder's weights hash, its wavelength grid
and the data file's sha256, so a spectrum encoder and an image encoder of the same file never
share an entry, and a re-run loads instead of recomputing. `embed_file` dispatches here for any
spec whose source says its modality is "spectrum".
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import check_finite_spectra, read_spectra, require_spectra
from astrobench.models.create import create_backbone
from astrobench.models.embedding_cache import (
    cache_root,
    digest,
    file_sha256,
    load_embeddings,
    save_embeddings,
)

SPECTRUM = "spectrum"
SPLIT_ALL = "all"


def spectrum_features(
    encoder: torch.nn.Module, data: Path, indices: np.ndarray, batch_size: int, device: str
) -> np.ndarray:
    """Pooled features [n, D] of the spectra of `indices` (blocks of `batch_size`)."""
    model = encoder.to(device).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, indices.size, max(1, batch_size)):
            flux, _ = read_spectra(data, indices[start : start + batch_size])  # [b, L]
            features = model.forward_features(torch.from_numpy(flux).to(device))  # type: ignore[operator]
            out.append(features.float().cpu().numpy())
    return np.concatenate(out) if out else np.empty((0, 0), np.float32)


def embed_spectra(
    spec: str,
    data: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 256,
    device: str = "cpu",
) -> Any:
    """An `EmbeddingSet` of every object's spectrum embedded by the spectrum encoder `spec`."""
    from astrobench.models.embeddings import EmbeddingSet

    start, path, root = time.perf_counter(), Path(data), cache_root(cache_dir)
    with CutoutFile(path) as cutouts:
        grid = require_spectra(cutouts)
        n_objects = len(cutouts)
    encoder = create_backbone(spec)
    encoder.check_grid(grid, str(path))  # type: ignore[operator]
    data_hash = file_sha256(path, root)
    grid_key = [int(grid.size), float(grid[0]), float(grid[-1])]
    weights = encoder.weights_hash()
    key = digest(
        {
            "weights": weights,
            "modality": SPECTRUM,
            "grid": grid_key,
            "data": data_hash,
            "split": SPLIT_ALL,
        }
    )
    params = encoder.parameter_counts()[0]
    cached = load_embeddings(root, key)
    if cached is not None:
        features, record = cached
        path_npy = root / "embeddings" / f"{key}.npy"
        return EmbeddingSet(
            features, key, True, time.perf_counter() - start, params, record, path_npy
        )
    check_finite_spectra(path, np.arange(n_objects))
    tick = time.perf_counter()
    features = spectrum_features(encoder, path, np.arange(n_objects), batch_size, device)
    record = {
        "spec": spec,
        "modality": SPECTRUM,
        "data": str(path.resolve()),
        "data_sha256": data_hash,
        "split": SPLIT_ALL,
        "n_objects": n_objects,
        "dim": int(features.shape[1]),
        "weights_hash": weights,
        "backbone": encoder.meta.to_dict(),
        "wavelength_grid": grid_key,
        "forward_seconds": time.perf_counter() - tick,
        "created_unix": time.time(),
    }
    saved = save_embeddings(root, key, features, record)
    return EmbeddingSet(features, key, False, time.perf_counter() - start, params, record, saved)
