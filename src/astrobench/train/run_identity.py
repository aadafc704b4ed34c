"""What a training run trains on, so a resume of another run is refused instead of mixed in.

The identity goes into `TrainConfig.identity`, which is part of the config hash every checkpoint
carries. On resume, `resume_differences` names the fields that changed (data, target, protocol,
fraction, backbone, seed, pooling, or a training setting) for the one-line refusal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from astrobench.content_hash import content_sha256


def run_identity(
    *,
    data: str | os.PathLike[str],
    target: str,
    protocol: str,
    fraction: float,
    backbone: str,
    seed: int,
    pooling: str | None = None,
    n_per_class: int | None = None,
) -> dict[str, Any]:
    """The identity of a training run; the data file is identified by the sha256 of its bytes."""
    return {
        "data": content_sha256(Path(data)),
        "target": str(target),
        "protocol": str(protocol),
        "fraction": float(fraction),
        "n_per_class": n_per_class,
        "backbone": str(backbone),
        "seed": int(seed),
        "pooling": pooling,
    }


def resume_differences(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Names of what differs between a checkpoint's config dict and this run's.

    Identity fields are named alone (`data`, `fraction`, ...); other settings by their key.
    """
    saved_identity = saved.get("identity") or {}
    identity = current.get("identity") or {}
    names = [
        key
        for key in sorted(set(saved_identity) | set(identity))
        if saved_identity.get(key) != identity.get(key)
    ]
    names += [
        key
        for key in sorted(set(saved) | set(current))
        if key != "identity" and saved.get(key) != current.get(key)
    ]
    return names
