"""`embed_file`: pooled embeddings [N, D] of every object of a cutout file, cached on disk.

A backbone is run over a file once: the result is cached under a key that changes when the
weights, the preprocessing or the file's bytes change (see embedding_cache). Preprocessing is
what the backbone's metadata says: band selection, per-channel (x - mean) / std, and a
bilinear (antialiased) resize to the model's input size when the cutouts differ from it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from astrobench.data.cutout_file import CutoutFile, NanPolicy
from astrobench.data.process_local import ProcessLocalCutouts
from astrobench.models.backbone import Backbone
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.embedding_cache import (
    cache_root,
    digest,
    file_sha256,
    load_embeddings,
    read_backbone_memo,
    save_embeddings,
    weight_file_stamps,
    write_backbone_memo,
)
from astrobench.models.input_preparation import input_preparation, prepare_inputs
from astrobench.models.source import source_of
from astrobench.models.spec import parse_spec
from astrobench.versions import library_versions

SPLIT_ALL = "all"
IMAGE = "image"  # the modality this module embeds; other modalities bring their own path
_CACHE_KEY_LIBRARIES = ("torch", "timm", "transformers")  # versions that change embeddings


@dataclass
class EmbeddingSet:
    """Embeddings of all objects of a file, in file order."""

    features: np.ndarray  # float32 [N, D]
    key: str
    from_cache: bool
    seconds: float  # wall time of this call
    params_total: int
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # the cached .npy

    @property
    def n_objects(self) -> int:
        return int(self.features.shape[0])

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])


def embed_file(
    spec: str,
    data: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 256,
    bands: Sequence[str] | None = None,
    img_size: int | None = None,
    device: str = "cpu",
    progress: bool = True,
    adapt: str | None = None,
    pooling: str | None = None,
    nan_policy: NanPolicy = "error",
    num_workers: int = 0,
) -> EmbeddingSet:
    """Embed every object of the cutout file `data` with backbone `spec`, or load the cache.

    Args:
        spec: backbone spec (see `create_backbone`).
        data: cutout file.
        cache_dir: cache root (default $ASTROBENCH_HOME or ~/.cache/astrobench).
        batch_size: objects per forward pass.
        bands: the file's bands to feed, in order (default: all of them).
        img_size: model input side in pixels (default: the data's side for randomly
            initialised models, the model's own size for pretrained ones).
        device: torch device for the forward pass.
        progress: show a progress bar (only on a terminal).
        adapt: band strategy when the bands do not fit the model (`select:...`, `inflate`,
            `adapter`).
        pooling: "cls" or "mean" for transformers.
        nan_policy: "error" or "mask" (non-finite pixels set to 0).
        num_workers: DataLoader worker processes reading the file.
    """
    start = time.perf_counter()
    direct = source_of(parse_spec(spec)).direct_features
    if direct is not None:  # features without a model (catalog columns): nothing to cache
        features, meta = direct(parse_spec(spec), Path(data))
        return EmbeddingSet(features, "", False, time.perf_counter() - start, 0, meta)
    if source_of(parse_spec(spec)).modality(parse_spec(spec)) == "spectrum":
        from astrobench.models.spectrum_embeddings import embed_spectra

        spectra: EmbeddingSet = embed_spectra(
            spec, data, cache_dir=cache_dir, batch_size=batch_size, device=device
        )
        return spectra
    root = cache_root(cache_dir)
    with CutoutFile(data, nan_policy=nan_policy) as cutouts:
        use_bands = list(bands) if bands else list(cutouts.bands)
        channels = cutouts.band_indices(use_bands)
        n_objects, (_, height, width) = len(cutouts), cutouts.image_shape
    build = {
        "spec": spec,
        "bands": use_bands,
        "img_size": img_size or natural_img_size(spec, height),
        "adapt": adapt,
        "pooling": pooling,
    }
    memo, backbone = _backbone_identity(root, build)
    preprocessing = input_preparation(memo["meta"], channels, use_bands, height, nan_policy)
    data_hash = file_sha256(data, root)
    key = digest(
        {
            "weights": memo["weights_hash"],
            "modality": IMAGE,
            "preprocessing": preprocessing,
            "data": data_hash,
            "split": SPLIT_ALL,
        }
    )
    cached = load_embeddings(root, key)
    if cached is not None:
        features, record = cached
        return EmbeddingSet(
            features,
            key,
            True,
            time.perf_counter() - start,
            int(memo["params_total"]),
            record,
            root / "embeddings" / f"{key}.npy",
        )
    build_start = time.perf_counter()
    if backbone is None:
        backbone = create_backbone(**build)  # type: ignore[arg-type]
    build_seconds = time.perf_counter() - build_start
    loader = _batches(data, batch_size, channels, nan_policy, num_workers)
    features, forward_seconds = run_backbone(
        backbone, loader, preprocessing, device, progress, n_objects
    )
    record = {
        "spec": spec,
        "modality": IMAGE,
        "data": str(Path(data).resolve()),
        "data_sha256": data_hash,
        "split": SPLIT_ALL,
        "n_objects": n_objects,
        "dim": int(features.shape[1]),
        "weights_hash": memo["weights_hash"],
        "backbone": memo["meta"],
        "preprocessing": preprocessing,
        "forward_seconds": forward_seconds,
        "build_seconds": build_seconds,
        "image_shape": [len(use_bands), height, width],
        "created_unix": time.time(),
    }
    path = save_embeddings(root, key, features, record)
    return EmbeddingSet(
        features, key, False, time.perf_counter() - start, int(memo["params_total"]), record, path
    )


def _backbone_identity(root: Path, build: dict[str, Any]) -> tuple[dict[str, Any], Backbone | None]:
    """Memoised {weights_hash, meta, params_total} of a build; builds the model on a miss."""
    parsed = parse_spec(build["spec"])
    build_id = digest(
        {
            **build,
            "versions": library_versions(_CACHE_KEY_LIBRARIES),
            "weight_files": weight_file_stamps(source_of(parsed).weight_files(parsed)),
        }
    )
    memo = read_backbone_memo(root, build_id)
    if memo is not None:
        return memo, None
    backbone = create_backbone(**build)
    memo = {
        "weights_hash": backbone.weights_hash(),
        "meta": backbone.meta.to_dict(),
        "params_total": backbone.parameter_counts()[0],
    }
    write_backbone_memo(root, build_id, memo)
    return memo, backbone


class _SliceBatches(Dataset[torch.Tensor]):
    """Batch b = objects [b*size, (b+1)*size) as one contiguous read: [n, C_sel, H, W]."""

    def __init__(
        self, path: str | os.PathLike[str], size: int, channels: list[int], nan_policy: NanPolicy
    ) -> None:
        self.path, self.size, self.nan_policy = Path(path), size, nan_policy
        with CutoutFile(self.path, nan_policy=nan_policy) as cutouts:
            self.n_objects, n_chans = len(cutouts), cutouts.image_shape[0]
        self.channels = None if channels == list(range(n_chans)) else channels
        self._handle = ProcessLocalCutouts(self.path, nan_policy)

    def __len__(self) -> int:
        return math.ceil(self.n_objects / self.size)

    def __getitem__(self, batch: int) -> torch.Tensor:
        start = batch * self.size
        images = self._handle.get().read_slice(start, min(start + self.size, self.n_objects))
        if self.channels is not None:
            images = np.ascontiguousarray(images[:, self.channels])
        return torch.from_numpy(images)  # [n, C_sel, H, W]


def _batches(
    path: str | os.PathLike[str],
    batch_size: int,
    channels: list[int],
    nan_policy: NanPolicy,
    num_workers: int,
) -> DataLoader[torch.Tensor]:
    dataset = _SliceBatches(path, max(1, batch_size), channels, nan_policy)
    return DataLoader(dataset, batch_size=None, shuffle=False, num_workers=num_workers)


def run_backbone(
    backbone: Backbone,
    batches: Any,
    preprocessing: dict[str, Any],
    device: str,
    progress: bool,
    n_objects: int,
) -> tuple[np.ndarray, float]:
    """Pooled features of all batches [N, D] float32, and the seconds spent in forward passes."""
    from rich.progress import Progress

    model = backbone.to(device).eval()
    out = np.empty((n_objects, backbone.num_features), dtype=np.float32)
    row, forward_seconds = 0, 0.0
    show = progress and sys.stdout.isatty()
    with Progress(disable=not show, transient=True) as bar, torch.inference_mode():
        task = bar.add_task("embedding", total=n_objects)
        for images in batches:
            x = prepare_inputs(images.to(device, non_blocking=True), preprocessing)
            tick = time.perf_counter()
            features = model.forward_features(x)  # [B, D]
            forward_seconds += time.perf_counter() - tick
            out[row : row + len(features)] = features.float().cpu().numpy()
            row += len(features)
            bar.advance(task, len(features))
    return out, forward_seconds
