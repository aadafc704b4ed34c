"""`Predictions`: the one container of a protocol's test-split outputs, saved and loaded as .npz.

On disk (`predictions/<run_id>.npz`, format 2):

    y_true            [n] or [n, T]   the test targets
    y_pred            [n] or [n, T]   point predictions (a posterior's median)
    probabilities     [n, C]          class probabilities (classification), optional
    samples           [n, S, T]       posterior samples, optional
    test_indices      [n] int64       object indices of the test rows in the cutout file, optional
    <name>, <name>_offsets            a ragged output: rows offsets[i]:offsets[i+1] belong to
                                      object i (as /boxes and /box_offsets in a cutout file)
    extra_<name>      [n, ...]        any further per-object array
    meta              JSON string     {"format": 2, "task": <task description>, "ragged": [...]}

Files written before format 2 (y_true, y_pred, probabilities, test_indices only) load unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.errors import DataFormatError

FORMAT = 2
_FIXED = ("y_true", "y_pred", "probabilities", "samples", "test_indices")


@dataclass
class Ragged:
    """Variable-length rows per object: `values[offsets[i]:offsets[i + 1]]` belong to object i."""

    values: np.ndarray  # [M, ...]
    offsets: np.ndarray  # [n + 1] int64, offsets[0] == 0, non-decreasing, offsets[-1] == M

    def __post_init__(self) -> None:
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        if (
            self.offsets.ndim != 1
            or len(self.offsets) == 0
            or self.offsets[0] != 0
            or np.any(np.diff(self.offsets) < 0)
            or self.offsets[-1] != len(self.values)
        ):
            raise DataFormatError(
                f"ragged offsets must start at 0, never decrease and end at {len(self.values)}",
                "build offsets as np.concatenate([[0], np.cumsum(counts)])",
            )

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        """The values of object i."""
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def take(self, rows: np.ndarray) -> Ragged:
        """The ragged rows of objects `rows`, in that order (for bootstrap resampling)."""
        parts = [self.row(int(i)) for i in rows]
        counts = [len(p) for p in parts]
        empty = self.values[:0]
        values = np.concatenate(parts) if parts else empty
        return Ragged(values, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


@dataclass
class Predictions:
    """Test-split outputs of one cell; every array's first axis is the test object."""

    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray | None = None
    samples: np.ndarray | None = None
    indices: np.ndarray | None = None
    ragged: dict[str, Ragged] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y_true)

    def take(self, rows: np.ndarray) -> Predictions:
        """The predictions of test rows `rows` (positions, may repeat): a bootstrap resample."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[rows]

        return Predictions(
            self.y_true[rows],
            self.y_pred[rows],
            pick(self.probabilities),
            pick(self.samples),
            pick(self.indices),
            {name: r.take(rows) for name, r in self.ragged.items()},
            {name: a[rows] for name, a in self.extra.items()},
        )

    def save(self, path: str | os.PathLike[str], task: dict[str, Any] | None = None) -> Path:
        """Write the .npz atomically; `task` is the task's description, kept in `meta`."""
        from astrobench.atomic import atomic_path

        arrays: dict[str, np.ndarray] = {"y_true": self.y_true, "y_pred": self.y_pred}
        optional = {
            "probabilities": self.probabilities,
            "samples": self.samples,
            "test_indices": self.indices,
        }
        arrays.update({k: v for k, v in optional.items() if v is not None})
        for name, ragged in self.ragged.items():
            arrays[name], arrays[f"{name}_offsets"] = ragged.values, ragged.offsets
        arrays.update({f"extra_{name}": value for name, value in self.extra.items()})
        meta = {"format": FORMAT, "task": task, "ragged": sorted(self.ragged)}
        arrays["meta"] = np.asarray(json.dumps(meta, default=str))
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # stubs type **kwds as bool
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Predictions:
        """Read a predictions file of any format (no pickles)."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError) as error:
            raise DataFormatError(
                f"{path}: not a readable predictions file ({error})", "re-run the cell"
            ) from error
        meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else {}
        ragged = {
            name: Ragged(arrays.pop(name), arrays.pop(f"{name}_offsets"))
            for name in meta.get("ragged", [])
        }
        extra = {
            k.removeprefix("extra_"): arrays[k] for k in list(arrays) if k.startswith("extra_")
        }
        return cls(
            arrays["y_true"],
            arrays["y_pred"],
            arrays.get("probabilities"),
            arrays.get("samples"),
            arrays.get("test_indices"),
            ragged,
            extra,
        )


def stored_task(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The task description saved with a predictions file (None for format-1 files)."""
    with np.load(path, allow_pickle=False) as stored:
        if "meta" not in stored.files:
            return None
        task = json.loads(str(stored["meta"])).get("task")
    return dict(task) if task else None
