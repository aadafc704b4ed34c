"""`FrozenInputs`: every object's embedding and target in a file, with its fixed labelled split.

`load_frozen_inputs` embeds the file through the shared cache (or reads it) and pairs the
features with the task's targets. The last loaded inputs are kept in memory, so the cells of a
ladder run through `ProtocolRequest`s embed (or read the cache) once, not once per cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.data.splits import stratified_split
from astrobench.errors import ConfigError, NonFiniteDataError
from astrobench.models.encoder_provenance import check_encoder_split
from astrobench.protocols.cell_selection import labelled_splits
from astrobench.protocols.settings import EmbedSettings
from astrobench.tasks.base import Task

_memory: dict[tuple[Any, ...], FrozenInputs] = {}


@dataclass
class FrozenInputs:
    """Embeddings and targets of every object in a file, and its fixed labelled split."""

    features: np.ndarray  # [N, D] float32, file order
    targets: np.ndarray  # [N] int64 classes, [N] or [N, T] float64 values
    task: Task
    splits: dict[str, np.ndarray]  # labelled object indices of train / val / test
    strata: np.ndarray  # [N] int64, for stratified label fractions
    params_total: int = 0  # of the backbone that made the features
    info: dict[str, Any] = field(default_factory=dict)  # how the embeddings were made
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # shared by all cells


def inputs_from_arrays(
    features: np.ndarray,
    targets: np.ndarray,
    task: Task,
    splits: Mapping[str, np.ndarray] | None = None,
    split_seed: int = 0,
    params_total: int = 0,
    info: Mapping[str, Any] | None = None,
) -> FrozenInputs:
    """FrozenInputs from arrays: unlabelled objects are dropped from every split.

    Without `splits`, a stratified 80/10/10 split is drawn from `split_seed`.
    """
    features = np.asarray(features, dtype=np.float32)
    targets = np.asarray(targets)
    if features.ndim != 2 or len(features) != len(targets):
        raise ConfigError(f"features must be [N, D] with N = {len(targets)}, got {features.shape}")
    if not np.isfinite(features).all():
        bad = int(np.flatnonzero(~np.isfinite(features).all(axis=1))[0])
        raise NonFiniteDataError(
            f"the embedding of object {bad} is not finite", "check the images and the backbone"
        )
    strata = task.strata(targets)
    if splits is None:
        splits = stratified_split(strata, split_seed)
    clean = labelled_splits(splits, targets, task)
    return FrozenInputs(features, targets, task, clean, strata, params_total, dict(info or {}))


def load_frozen_inputs(
    backbone: str,
    data: str | Path,
    task: Task,
    embed: EmbedSettings | None = None,
    split_seed: int = 0,
    cache_dir: Path | None = None,
    progress: bool = False,
    split_scheme: str = "standard",
) -> FrozenInputs:
    """Embed `data` with `backbone` (or read the cache) and pair the features with `task`'s targets.

    Raises MissingColumnError when a target column is absent.
    """
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.splits import split_indices

    embed = embed or EmbedSettings()
    path = Path(data).expanduser().resolve()
    check_encoder_split(backbone, path, split_seed, cache_dir, split_scheme)
    stat = path.stat()
    key = (
        backbone,
        str(path),
        stat.st_mtime_ns,
        stat.st_size,
        task,
        split_seed,
        split_scheme,
        str(cache_dir),
        embed,
    )
    if key in _memory:  # already in memory: no embedding work at all this time
        remembered = _memory[key]
        info = {**remembered.info, "from_cache": True, "seconds": 0.0}
        return dataclasses.replace(remembered, info=info)
    with CutoutFile(path) as cutouts:
        targets = task.read_targets(cutouts)
        # One split per file whatever the target (label-stratified when the file has labels):
        # morphology and photo-z share test objects, and pretraining never sees them.
        splits = split_indices(cutouts, seed=split_seed, scheme=split_scheme)
    embedded = _embed(backbone, path, cache_dir, embed, progress)
    info = {
        "backbone": backbone,
        "modality": embedded.meta.get("modality", "image"),
        "from_cache": bool(embedded.from_cache),
        "seconds": float(embedded.seconds),
        "dim": int(embedded.features.shape[1]),
    }
    inputs = inputs_from_arrays(
        embedded.features, targets, task, splits, split_seed, int(embedded.params_total), info
    )
    _memory.clear()
    _memory[key] = inputs
    return inputs


def _embed(
    backbone: str, path: Path, cache_dir: Path | None, embed: EmbedSettings, progress: bool
) -> Any:
    from astrobench.models.embeddings import embed_file

    options = {k: v for k, v in embed.model_dump().items() if v is not None}
    return embed_file(backbone, path, cache_dir=cache_dir, progress=progress, **options)
