"""Identity by content: the sha256 of a file's bytes, cached by its stat so it is computed once.

Paths lie (a file rewritten in place keeps its name, and often its size), so datasets in suites,
resumed runs and cached artefacts are identified by this hash. Hashing a large file takes seconds,
so the digest is remembered in one small JSON file keyed by (path, size, mtime_ns, ctime_ns,
inode): any rewrite changes mtime or ctime, and ctime cannot be set back by the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from astrobench.atomic import atomic_open

CACHE_FILE = "content_hashes.json"
_BLOCK_BYTES = 8 << 20
# Oldest entries are dropped beyond this many, so the cache file stays small.
_MAX_ENTRIES = 2000


def default_cache_file() -> Path:
    """$ASTROBENCH_HOME/content_hashes.json (default ~/.cache/astrobench)."""
    configured = os.environ.get("ASTROBENCH_HOME", "").strip()
    root = Path(configured).expanduser() if configured else Path.home() / ".cache" / "astrobench"
    return root / CACHE_FILE


def _stamp(path: Path) -> str:
    stat = path.stat()
    parts = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    return json.dumps(parts)


def _read_cache(cache_file: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return {}  # absent or damaged: start afresh
    return loaded if isinstance(loaded, dict) else {}


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """sha256 hex digest of a file's bytes, read in blocks (no cache)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            hasher.update(block)
    return hasher.hexdigest()


def content_sha256(
    path: str | os.PathLike[str], cache_file: str | os.PathLike[str] | None = None
) -> str:
    """sha256 of `path`'s bytes, remembered in `cache_file` by (path, size, mtime, ctime, inode).

    Args:
        path: The file to identify.
        cache_file: The JSON cache (default $ASTROBENCH_HOME/content_hashes.json). A cache that
            cannot be read or written only costs a recomputation.

    Returns:
        The 64-hex-digit sha256 of the file's content.
    """
    file = Path(path)
    cache = Path(cache_file) if cache_file is not None else default_cache_file()
    stamp = _stamp(file)
    entries = _read_cache(cache)
    known = entries.get(stamp)
    if isinstance(known, str) and len(known) == 64:
        return known
    digest = sha256_of_file(file)
    if _stamp(file) != stamp:  # changed while hashing: do not remember a torn value
        return digest
    entries.pop(stamp, None)
    entries[stamp] = digest
    kept = dict(list(entries.items())[-_MAX_ENTRIES:])
    with contextlib.suppress(OSError), atomic_open(cache) as handle:
        json.dump(kept, handle)  # insertion order kept: the oldest entries go first
    return digest
