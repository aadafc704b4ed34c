"""`resolve_task`: the task of predicting a target of a cutout file, inferred or forced.

Every registered kind says how strongly it claims the target columns (`Task.claims`); the
strongest claim wins: several comma-separated columns -> multioutput, `label` -> classification,
`redshift` -> photoz, another integer column with few values -> classification, `boxes` (a
file with /boxes) -> detection, any other column -> regression. `kind` forces a kind, e.g.
regression on an integer column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from astrobench.errors import ConfigError
from astrobench.registry import TASKS
from astrobench.tasks.base import ClassOutput, Task, ValueOutput

if TYPE_CHECKING:
    from astrobench.data.cutout_file import CutoutFile


def target_columns(target: str) -> tuple[str, ...]:
    """`"redshift,log_mstar"` -> ("redshift", "log_mstar")."""
    columns = tuple(c.strip() for c in target.split(",") if c.strip())
    if not columns:
        raise ConfigError("the target names no column", "e.g. --target label or --target redshift")
    return columns


def resolve_task(
    cutouts: CutoutFile,
    target: str,
    kind: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Task:
    """The task of predicting `target` (one column or several, comma-separated) of this file.

    Raises MissingColumnError for an absent column, UnknownNameError for an unknown `kind`,
    ConfigError when the columns do not suit the kind or an option is unknown.
    """
    columns = _expanded(cutouts, target_columns(target))
    cls = TASKS.get(kind) if kind else _strongest_claim(cutouts, columns)
    cutouts.require_columns(list(cls.required_columns(columns)))
    options = dict(options or {})
    known = {f.name for f in dataclasses.fields(cls) if f.name != "columns"}  # no ClassVars
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"{cls.kind} tasks have no option {unknown[0]!r}",
            f"options of {cls.kind}: {', '.join(sorted(known)) or 'none'}",
        )
    task: Task = cls.from_file(cutouts, columns, options)
    _check_headline(task, cutouts)
    return task


def _claim(name: str, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
    """The claim of kind `name`; 0 when it needs catalog columns the file lacks."""
    cls = TASKS.get(name)
    needed = cls.required_columns(columns)
    if any(not cutouts.has_column(c) for c in needed):
        return 0
    return int(cls.claims(cutouts, columns))


def _expanded(cutouts: CutoutFile, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns a target word stands for (e.g. `votes`), or the columns as given."""
    for name in TASKS.names():
        expanded = TASKS.get(name).expand_target(cutouts, columns)
        if expanded is not None:
            return tuple(expanded)
    return columns


def _strongest_claim(cutouts: CutoutFile, columns: tuple[str, ...]) -> type[Task]:
    claims = [(_claim(name, cutouts, columns), name) for name in TASKS.names()]
    best, name = max(claims)
    if best <= 0:
        cutouts.require_columns(list(columns))  # an absent column is the likeliest reason
        raise ConfigError(f"no task kind can predict {','.join(columns)}", "name a --task kind")
    found: type[Task] = TASKS.get(name)
    return found


def _check_headline(task: Task, cutouts: CutoutFile) -> None:
    """A headline metric the task never computes is refused before any work is done."""
    if task.headline is None:
        return
    from astrobench.tasks.predictions import Predictions

    targets = task.read_targets(cutouts)[:4]
    if isinstance(task.output, ClassOutput):  # every class once, so per-class metrics all exist
        targets = np.concatenate([targets, np.arange(task.output.n_classes, dtype=targets.dtype)])
    known = set(task.score(Predictions(targets, targets)))
    if isinstance(task.output, ValueOutput):  # posterior metrics exist where samples do
        samples = np.repeat(
            np.asarray(targets, dtype=np.float64).reshape(len(targets), 1, -1), 2, 1
        )
        extra = {"log_density": np.zeros(len(targets))}
        known |= set(task.score(Predictions(targets, targets, samples=samples, extra=extra)))
    if task.headline not in known:
        raise ConfigError(
            f"{task.kind} tasks have no metric {task.headline!r} to use as the headline",
            f"use one of {', '.join(sorted(known))}",
        )
