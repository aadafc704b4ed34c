"""Persistent embedding cache: `<root>/embeddings/<key>.npy` + `<key>.json`, written atomically.

The key is the sha256 of (backbone weights hash, preprocessing, data file hash, split). Because
computing a weights hash needs the model, a small memo maps the *build identity* of a backbone
(spec, bands, image size, band strategy, pooling, library versions, and for local weight files
their size and modification time) to its weights hash and metadata, so a cache hit needs neither
the model nor its forward pass. Data files are hashed once per (path, size, mtime).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.atomic import atomic_path, write_json_atomic
from astrobench.content_hash import CACHE_FILE, content_sha256


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """`cache_dir`, else $ASTROBENCH_HOME, else ~/.cache/astrobench."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    home = os.environ.get("ASTROBENCH_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "astrobench"


def digest(obj: Any) -> str:
    """sha256 of the canonical JSON of `obj`."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _file_stamp(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def file_sha256(path: str | os.PathLike[str], root: Path) -> str:
    """sha256 of a file's bytes, memoised under `root` by (path, size, mtime, ctime, inode)."""
    return content_sha256(path, root / CACHE_FILE)


def weight_file_stamps(files: list[Path]) -> list[dict[str, Any]]:
    """Stamps (path, size, mtime) of weight files and of every file inside weight folders."""
    stamps: list[dict[str, Any]] = []
    for candidate in files:
        inside = (
            sorted(p for p in candidate.rglob("*") if p.is_file())
            if candidate.is_dir()
            else [candidate]
        )
        stamps += [_file_stamp(f) for f in inside if f.exists()]
    return stamps


def read_backbone_memo(root: Path, build_id: str) -> dict[str, Any] | None:
    """The memoised {weights_hash, meta, params_total} of a build identity, if any."""
    memo = root / "backbones" / f"{build_id}.json"
    try:
        return dict(json.loads(memo.read_text())) if memo.exists() else None
    except (OSError, ValueError):
        return None


def write_backbone_memo(root: Path, build_id: str, record: dict[str, Any]) -> None:
    write_json_atomic(root / "backbones" / f"{build_id}.json", record)


def load_embeddings(root: Path, key: str) -> tuple[np.ndarray, dict[str, Any]] | None:
    """(features, record) cached under `key`, or None when absent or incomplete."""
    folder = root / "embeddings"
    features_path, record_path = folder / f"{key}.npy", folder / f"{key}.json"
    if not (features_path.exists() and record_path.exists()):
        return None
    try:
        record = dict(json.loads(record_path.read_text()))
        features = np.load(features_path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if list(features.shape) != [record.get("n_objects"), record.get("dim")]:
        return None
    return features, record


def save_embeddings(root: Path, key: str, features: np.ndarray, record: dict[str, Any]) -> Path:
    """Write features (.npy) then the record (.json), each atomically; return the .npy path."""
    folder = root / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    features_path = folder / f"{key}.npy"
    with atomic_path(features_path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, features, allow_pickle=False)
    write_json_atomic(folder / f"{key}.json", record)
    return features_path
