"""Tower tokens computed once (frozen towers), so an alignment epoch costs only the heads.

Tokens of the chosen objects are stored as float16 — in memory, or in two `.npy` files
(memory-mapped when read back) named by a digest of the tower weights, the image input recipe,
the data file's fingerprint and the object list. A re-run with the same towers and data reuses
them; anything else gets a new key. Files are written under a temporary name and renamed when
complete, so a killed run never leaves a cache that looks finished.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from astrobench.atomic import atomic_path
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import read_spectra
from astrobench.errors import ConfigError
from astrobench.models.embedding_cache import digest
from astrobench.pretrain.clip_towers import Towers, as_float_array, token_shapes, tower_identity

TokenStore = Literal["memory", "disk"]
BLOCK_OBJECTS = 64


def _fill(out: np.ndarray, towers: Towers, data: Path, indices: np.ndarray, modality: str) -> None:
    """Write the tokens of `indices` into `out` [n, N, D] block by block."""
    with CutoutFile(data) as cutouts, torch.inference_mode():
        for start in range(0, indices.size, BLOCK_OBJECTS):
            block = indices[start : start + BLOCK_OBJECTS]
            if modality == "image":
                tokens = towers.image_tokens(torch.from_numpy(cutouts.read_images(block)))
            else:
                flux, _ = read_spectra(data, block)
                tokens = towers.spectrum_tokens(torch.from_numpy(flux))
            out[start : start + block.size] = tokens.float().numpy().astype(np.float16)


def _shapes(towers: Towers, data: Path) -> dict[str, tuple[int, ...]]:
    with CutoutFile(data) as cutouts:
        image_shape, n_pixels = cutouts.image_shape, int(cutouts.wavelength_angstrom.size)  # type: ignore[union-attr]
    image, spectrum = token_shapes(towers, image_shape, n_pixels)
    return {"image": image, "spectrum": spectrum}


def tower_tokens(
    towers: Towers,
    data: str | os.PathLike[str],
    indices: np.ndarray,
    store: TokenStore = "memory",
    folder: str | os.PathLike[str] | None = None,
    data_hash: str = "",
) -> dict[str, np.ndarray]:
    """{"image": [n, N_i, D_i], "spectrum": [n, N_s, D_s]} float16 tokens of `indices`."""
    if store not in ("memory", "disk"):
        raise ConfigError(f"unknown token store {store!r}", "use memory or disk")
    path = Path(data)
    order = np.asarray(indices, dtype=np.int64)
    shapes = _shapes(towers, path)
    key = digest({**tower_identity(towers), "data": data_hash, "indices": order.tolist()})[:20]
    out: dict[str, np.ndarray] = {}
    for modality, shape in shapes.items():
        if store == "memory":
            out[modality] = np.empty((order.size, *shape), dtype=np.float16)
            _fill(out[modality], towers, path, order, modality)
            continue
        target = Path(folder or ".") / f"{key}-{modality}.npy"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                array = np.lib.format.open_memmap(
                    tmp, mode="w+", dtype=np.float16, shape=(order.size, *shape)
                )
                _fill(array, towers, path, order, modality)
                array.flush()
                del array
        out[modality] = np.load(target, mmap_mode="r")
    return out


class TokenPairs(Dataset[dict[str, Any]]):
    """Cached token pairs: {"image_tokens": [N_i, D_i], "spectrum_tokens": [N_s, D_s], "index"}."""

    def __init__(self, tokens: dict[str, np.ndarray], indices: np.ndarray) -> None:
        self.tokens = tokens
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getitem__(self, position: int) -> dict[str, Any]:
        return {
            "image_tokens": as_float_array(self.tokens["image"][position]),
            "spectrum_tokens": as_float_array(self.tokens["spectrum"][position]),
            "index": int(self.indices[position]),
        }
