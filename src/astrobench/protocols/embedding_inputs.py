"""FrozenInputs from a cutout file: embeddings through the shared cache, targets, fixed split.

The last loaded inputs are kept in memory, so the cells of a ladder run through
`ProtocolRequest`s embed (or read the cache) once, not once per cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from astrobench.protocols.frozen import FrozenInputs, inputs_from_arrays
from astrobench.tasks.task import TaskSpec

_EMBED_OPTIONS = ("batch_size", "bands", "img_size", "device", "adapt", "pooling")
_memory: dict[tuple[Any, ...], FrozenInputs] = {}


def load_frozen_inputs(
    backbone: str,
    data: str | Path,
    task: TaskSpec,
    settings: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
    progress: bool = False,
) -> FrozenInputs:
    """Embed `data` with `backbone` (or read the cache) and pair the features with `task`'s target.

    Settings used: `split_seed` (default 0), `split_scheme` ("standard" or "disjoint", see
    data/splits.py) and the embedding options batch_size, bands,
    img_size and device. Raises MissingColumnError when the target column is absent.
    """
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.splits import split_indices

    settings = settings or {}
    path = Path(data).expanduser().resolve()
    options = {k: settings[k] for k in _EMBED_OPTIONS if settings.get(k) is not None}
    split_seed = int(settings.get("split_seed", 0))
    scheme = str(settings.get("split_scheme", "standard"))
    stat = path.stat()
    key = (
        backbone,
        str(path),
        stat.st_mtime_ns,
        stat.st_size,
        task,
        split_seed,
        scheme,
        str(cache_dir),
        repr(sorted(options.items())),
    )
    if key in _memory:  # already in memory: no embedding work at all this time
        remembered = _memory[key]
        info = {**remembered.info, "from_cache": True, "seconds": 0.0}
        return dataclasses.replace(remembered, info=info)
    with CutoutFile(path) as cutouts:
        targets = cutouts.column(task.target)
        # One split per file whatever the target (label-stratified when the file has labels):
        # morphology and photo-z share test objects, and pretraining never sees them.
        splits = split_indices(cutouts, seed=split_seed, scheme=scheme)
    embedded = _embed(backbone, path, cache_dir, options, progress)
    info = {
        "backbone": backbone,
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
    backbone: str, path: Path, cache_dir: Path | None, options: dict[str, Any], progress: bool
) -> Any:
    from astrobench.models.embeddings import embed_file

    if isinstance(options.get("bands"), str):
        options["bands"] = [b for b in options["bands"].split(",") if b]
    return embed_file(backbone, path, cache_dir=cache_dir, progress=progress, **options)
