"""Capture and restore every random-number state as tensors and plain values, so checkpoints
load with `torch.load(weights_only=True)`."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed python, numpy's legacy global and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng_state(generator: np.random.Generator | None = None) -> dict[str, Any]:
    """torch (CPU and CUDA), numpy legacy global, numpy Generator and python `random` states."""
    version, python_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": {
            "version": version,
            "state": torch.tensor(python_state, dtype=torch.int64),
            "gauss": gauss,
        },
        "numpy_global": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    if generator is not None:
        state["numpy_generator"] = _plain(generator.bit_generator.state)
    return state


def restore_rng_state(state: dict[str, Any], generator: np.random.Generator | None = None) -> None:
    """Inverse of `capture_rng_state`."""
    torch.set_rng_state(state["torch"])
    python = state["python"]
    random.setstate(
        (python["version"], tuple(int(v) for v in python["state"].tolist()), python["gauss"])
    )
    g = state["numpy_global"]
    keys = g["keys"].numpy().astype(np.uint32)
    np.random.set_state((g["kind"], keys, g["pos"], g["has_gauss"], g["cached"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "numpy_generator" in state:
        generator.bit_generator.state = state["numpy_generator"]


def _plain(value: Any) -> Any:
    """numpy scalars/arrays inside a bit-generator state -> python ints/lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value
