"""The frozen evaluation ladder: protocols × label fractions (or n-per-class) × seeds.

Embeddings are made (or read from the cache) once; every cell then fits only its head. The
summary gives, per protocol and fraction, the mean ± std and min–max of every metric over seeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.errors import ConfigError
from astrobench.metrics.stats import SeedSummary, summarise_seeds
from astrobench.protocols.base import ProtocolResult
from astrobench.protocols.frozen import FrozenProtocol
from astrobench.protocols.frozen_inputs import FrozenInputs
from astrobench.registry import PROTOCOLS
from astrobench.tasks.base import Task

CellCallback = Callable[[ProtocolResult], None]


@dataclass(frozen=True)
class LadderCell:
    """One (protocol, fraction or n-per-class, seed) cell."""

    protocol: str
    fraction: float
    seed: int
    n_per_class: int | None = None

    @property
    def file_stem(self) -> str:
        """Name of its predictions file, e.g. `knn_0.1_0` or `mlp_n10_2`."""
        amount = f"n{self.n_per_class}" if self.n_per_class is not None else f"{self.fraction:g}"
        return f"{self.protocol}_{amount}_{self.seed}"


def frozen_protocols(names: Sequence[str]) -> list[FrozenProtocol]:
    """The registered frozen protocols called `names` (UnknownNameError / ConfigError if not)."""
    found = []
    for name in names:
        protocol = PROTOCOLS.get(name)
        if not isinstance(protocol, FrozenProtocol):
            raise ConfigError(
                f"protocol {name!r} is not a frozen protocol",
                "astrobench probe runs knn, linear, mlp and whitening",
            )
        found.append(protocol)
    return found


def ladder_cells(
    protocols: Sequence[str],
    fractions: Sequence[float] = (1.0,),
    seeds: Sequence[int] = (0,),
    n_per_class: Sequence[int] = (),
) -> list[LadderCell]:
    """Every cell, protocol-major; n-per-class cells replace fraction cells when given."""
    if n_per_class:
        return [LadderCell(p, 1.0, s, n) for p in protocols for n in n_per_class for s in seeds]
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ConfigError(f"label fraction must be in (0, 1], got {fraction:g}")
    return [LadderCell(p, float(f), int(s)) for p in protocols for f in fractions for s in seeds]


def run_ladder(
    inputs: FrozenInputs,
    cells: Sequence[LadderCell],
    settings: Mapping[str, Any] | None = None,
    on_cell: CellCallback | None = None,
) -> list[ProtocolResult]:
    """Run every cell on the same embeddings; `on_cell` is called after each (progress, saving)."""
    protocols = {p.name: p for p in frozen_protocols(sorted({c.protocol for c in cells}))}
    results = []
    for cell in cells:
        result = protocols[cell.protocol].run_cell(
            inputs, cell.fraction, cell.seed, cell.n_per_class, settings
        )
        results.append(result)
        if on_cell is not None:
            on_cell(result)
    return results


def summarise(results: Sequence[ProtocolResult]) -> list[dict[str, Any]]:
    """One row per (protocol, fraction or n-per-class): n_train and every metric over seeds."""
    groups: dict[tuple[str, float, Any], list[ProtocolResult]] = {}
    for result in results:
        key = (result.protocol, result.fraction, result.extra.get("n_per_class"))
        groups.setdefault(key, []).append(result)
    rows = []
    for (protocol, fraction, n_per_class), group in groups.items():
        names = [m for m in group[0].metrics if all(m in r.metrics for r in group)]
        metrics: dict[str, SeedSummary] = {
            name: summarise_seeds([r.metrics[name] for r in group]) for name in names
        }
        rows.append(
            {
                "protocol": protocol,
                "fraction": fraction,
                "n_per_class": n_per_class,
                "seeds": [r.seed for r in group],
                "n_train": int(np.mean([r.n_train for r in group])),
                "metrics": metrics,
            }
        )
    return rows


def write_ladder_outputs(
    out_dir: Path, results: Sequence[ProtocolResult], header: Mapping[str, Any], task: Task
) -> Path:
    """DIR/results.json (header + one record per cell) and DIR/predictions/<cell>.npz."""
    from astrobench.atomic import write_json_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for result in results:
        cell = LadderCell(
            result.protocol, result.fraction, result.seed, result.extra.get("n_per_class")
        )
        relative = Path("predictions") / f"{cell.file_stem}.npz"
        result.save_predictions(out_dir / relative, task)
        records.append({**_jsonable(result.record()), "predictions": str(relative)})
    path = out_dir / "results.json"
    write_json_atomic(path, {**_jsonable(dict(header)), "records": records})
    return path


def _jsonable(value: Any) -> Any:
    """Plain JSON types (NumPy scalars become Python numbers; NaN stays a float)."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
