"""Training checkpoints: atomic writes, last + previous + best + every k, safe loading.

Layout in `<out_dir>/checkpoints/`:
  last.pt       the newest state (model, optimizer, scheduler, scaler, EMA, RNG, position)
  previous.pt   the one before it: the fallback when last.pt is unreadable
  best.pt       the best state on validation
  epoch-NNNN.pt permanent copies every `keep_every_k` epochs

Each file is written to a temporary name in the same folder, fsynced and renamed (os.replace), so
a kill during a write leaves the earlier files intact. Files load with `weights_only=True`: every
value inside is a tensor or a plain python type.
"""

from __future__ import annotations

import io
import os
import signal
import warnings
from pathlib import Path
from typing import Any

import torch

from astrobench.atomic import commit_temporary, temporary_path_for
from astrobench.errors import CheckpointError

CHECKPOINT_FORMAT = "astrobench-train-checkpoint"
CHECKPOINT_VERSION = 1
LAST = "last.pt"
PREVIOUS = "previous.pt"
BEST = "best.pt"
# Test-only hook: kill this process (SIGKILL) half way through writing the n-th checkpoint.
KILL_IN_WRITE_ENV = "ASTROBENCH_TEST_KILL_IN_CHECKPOINT_WRITE"
_writes_done = 0


def write_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Serialise `state` to `path` atomically (temporary file in the same folder, fsync, rename)."""
    global _writes_done
    buffer = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}, buffer)
    data = buffer.getbuffer()
    tmp = temporary_path_for(path)
    try:
        with open(tmp, "wb") as handle:
            _writes_done += 1
            if os.environ.get(KILL_IN_WRITE_ENV) == str(_writes_done):
                handle.write(data[: len(data) // 2])
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            handle.write(data)
        commit_temporary(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_last(folder: Path, state: dict[str, Any]) -> Path:
    """Write `state` as last.pt, keeping the former last.pt as previous.pt."""
    folder.mkdir(parents=True, exist_ok=True)
    last = folder / LAST
    tmp = temporary_path_for(last)
    try:
        write_checkpoint(tmp, state)
        if last.exists():
            os.replace(last, folder / PREVIOUS)
        os.replace(tmp, last)
    finally:
        tmp.unlink(missing_ok=True)
    return last


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load one checkpoint with weights_only=True; CheckpointError if unreadable or foreign."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many kinds for truncated / corrupt files
        raise CheckpointError(
            f"cannot read checkpoint {path}: {type(error).__name__}: "
            f"{(str(error).splitlines() or [''])[0][:200]}",
            "the file is damaged; delete it to fall back to an older checkpoint",
        ) from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not an astrobench training checkpoint", "pass a checkpoints folder"
        )
    return state


def checkpoint_candidates(folder: Path) -> list[Path]:
    """Files to resume from, newest first: last, previous, then epoch copies (newest first)."""
    named = [folder / LAST, folder / PREVIOUS]
    epochs = sorted(folder.glob("epoch-*.pt"), reverse=True)
    return [p for p in [*named, *epochs] if p.exists()]


def load_latest(
    folder: Path, map_location: str | torch.device = "cpu"
) -> tuple[dict[str, Any], Path] | None:
    """The newest readable checkpoint in `folder`, falling back (with a warning) past damaged
    ones. None when the folder holds no checkpoint; CheckpointError when none is readable."""
    candidates = checkpoint_candidates(folder)
    failures: list[str] = []
    for path in candidates:
        try:
            state = load_checkpoint(path, map_location)
        except CheckpointError as error:
            failures.append(error.message)
            continue
        if failures:
            warnings.warn(
                f"newest checkpoint unreadable, resuming from {path.name} instead: "
                f"{'; '.join(failures)}",
                RuntimeWarning,
                stacklevel=2,
            )
        return state, path
    if failures:
        raise CheckpointError(
            f"no readable checkpoint in {folder}: {'; '.join(failures)}",
            "start again without --resume, in a fresh output folder",
        )
    return None
