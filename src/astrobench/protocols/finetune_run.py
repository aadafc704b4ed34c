"""`finetune_run`: one training protocol on one file and target, written to a folder
(metrics.json, predictions.npz, checkpoints/) — what `astrobench finetune` calls."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from astrobench.atomic import write_json_atomic
from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError
from astrobench.out_lock import locked_output
from astrobench.protocols.base import ProtocolRequest
from astrobench.protocols.settings import validate_settings
from astrobench.protocols.trained import TrainedMode
from astrobench.registry import PROTOCOLS
from astrobench.tasks.resolve import resolve_task


def finetune_run(
    backbone: str,
    data: str | Path,
    target: str,
    protocol: str,
    out: str | Path,
    settings: dict[str, Any],
    fraction: float = 1.0,
    seed: int = 0,
    *,
    task_kind: str | None = None,
) -> str:
    """Run `protocol` and write its results into `out`; returns a one-line summary."""
    mode = PROTOCOLS.get(protocol)
    if not isinstance(mode, TrainedMode):
        trained = [
            name for name in PROTOCOLS.names() if isinstance(PROTOCOLS.get(name), TrainedMode)
        ]
        raise ConfigError(f"{protocol!r} is not a training protocol", f"use {', '.join(trained)}")
    if not 0 < fraction <= 1:
        raise ConfigError(f"--fraction must be in (0, 1], got {fraction}")
    checked = validate_settings(mode.settings_model, settings, protocol)
    out = Path(out)
    started = time.perf_counter()
    with CutoutFile(data) as cutouts:
        task = resolve_task(cutouts, target, task_kind)
    request = ProtocolRequest(
        backbone, Path(data), task, fraction, seed, settings=checked, work_dir=out
    )
    with locked_output(out, "finetune"):
        result = mode(request)
        wall_seconds = time.perf_counter() - started
        result.save_predictions(out / "predictions.npz", task)
        record = {
            **result.record(),
            "wall_seconds": wall_seconds,
            "backbone": backbone,
            "data": str(data),
        }
        write_json_atomic(out / "metrics.json", record)
    headline = result.metrics.get(task.headline_metric, float("nan"))
    return (
        f"{protocol} {backbone} on {task.target}: {task.headline_metric}={headline:.4f} "
        f"params={result.params_total} trainable={result.params_trainable} "
        f"wall={wall_seconds:.1f}s -> {out}"
    )
