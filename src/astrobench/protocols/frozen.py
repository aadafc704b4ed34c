"""What every frozen protocol shares: the cell's rows on cached embeddings, and registration.

A frozen protocol is a *head fit*: a function `(FrozenSplit, task, settings, seed) -> HeadFit`
that chooses its hyper-parameters on the validation rows only and predicts the test rows.
`@frozen_protocol("name", SettingsModel)` registers it in `PROTOCOLS` as a `FrozenProtocol`,
which answers a `ProtocolRequest` (embedding the file through the shared cache) and, for the
ladder, a cell on embeddings already in memory.

Heads never branch on the task kind: they fit what the task's `output` asks for — class
probabilities (`ClassOutput`) or real values (`ValueOutput`); value targets reach them as
[n, T] arrays (T = 1 for a single column) and go back to the task's own shape.

The train/val/test split depends only on `split_seed` (default 0), never on the run seed: the
run seed picks the label-fraction (or few-shot) subset and the head's initialisation, so
different seeds are different draws on the same test set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from astrobench.errors import ConfigError
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.protocols.cell_selection import select_rows
from astrobench.protocols.frozen_inputs import FrozenInputs, load_frozen_inputs
from astrobench.protocols.settings import ProtocolSettings, validate_settings
from astrobench.registry import PROTOCOLS, register_protocol
from astrobench.tasks.base import ClassOutput, Task, ValueOutput
from astrobench.tasks.predictions import Predictions
from astrobench.threads import thread_limit


class FrozenSettings(ProtocolSettings):
    """What every frozen protocol understands."""

    # Heads are small matrices: one thread is as fast as two on an idle 2-core machine and many
    # times faster on a busy one (OpenMP threads spin against each other).
    threads: int = Field(default=1, ge=1)


@dataclass
class FrozenSplit:
    """One cell's rows: the (subset of the) train split, the whole val and test splits.

    Value targets are [n, T] here whatever the task's own shape.
    """

    x_train: np.ndarray  # [n_train, D]
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_indices: np.ndarray
    train_positions: np.ndarray | None = None  # rows of the subset within the whole train split
    source: FrozenInputs | None = field(default=None, repr=False)  # for work shared across cells


@dataclass
class HeadFit:
    """What a head fit returns: test predictions and the hyper-parameters it chose."""

    y_pred: np.ndarray  # [n_test] classes or [n_test, T] values
    probabilities: np.ndarray | None
    hyperparameters: dict[str, Any]
    params_trainable: int
    eval_seconds: float
    samples: np.ndarray | None = None  # [n_test, S, T] posterior samples, for posterior heads
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # per-test-object arrays ([n, ...])


HeadFitFn = Callable[[FrozenSplit, Task, Any, int], HeadFit]


def as_columns(task: Task, targets: np.ndarray) -> np.ndarray:
    """Value targets as [n, T] (classes stay [n])."""
    if isinstance(task.output, ClassOutput):
        return np.asarray(targets)
    values = np.asarray(targets, dtype=np.float64)
    return values.reshape(len(values), -1)


def as_task_shape(task: Task, values: np.ndarray) -> np.ndarray:
    """[n, T] values back to the task's shape ([n] for one column; classes stay [n])."""
    if isinstance(task.output, ClassOutput) or len(task.columns) > 1:
        return values
    return np.asarray(values)[:, 0]


def select_cell(
    inputs: FrozenInputs,
    fraction: float,
    seed: int,
    n_per_class: int | None = None,
    settings: ProtocolSettings | None = None,
) -> FrozenSplit:
    """The embeddings and targets of one (fraction or n-per-class, seed) cell."""
    rows = select_rows(
        inputs.splits,
        inputs.targets,
        inputs.strata,
        inputs.task,
        fraction,
        seed,
        n_per_class,
        settings or ProtocolSettings(),
    )
    x, y = inputs.features, as_columns(inputs.task, inputs.targets)
    return FrozenSplit(
        x[rows.train],
        y[rows.train],
        x[rows.val],
        y[rows.val],
        x[rows.test],
        y[rows.test],
        rows.test,
        rows.train_positions,
        inputs,
    )


class FrozenProtocol:
    """A registered frozen protocol: answers requests (via the embedding cache) and cells."""

    def __init__(
        self,
        name: str,
        fit: HeadFitFn,
        settings_model: type[FrozenSettings],
        outputs: tuple[type, ...] = (ClassOutput, ValueOutput),
    ) -> None:
        self.name = name
        self.fit = fit
        self.settings_model = settings_model
        self.outputs = outputs  # the task outputs this head can produce

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        settings = validate_settings(self.settings_model, request.settings, self.name)
        inputs = load_frozen_inputs(
            request.backbone,
            request.data,
            request.task,
            settings.embed,
            settings.split_seed,
            request.cache_dir,
            split_scheme=settings.split_scheme,
        )
        return self.run_cell(inputs, request.fraction, request.seed, request.n_per_class, settings)

    def run_cell(
        self,
        inputs: FrozenInputs,
        fraction: float = 1.0,
        seed: int = 0,
        n_per_class: int | None = None,
        settings: Any = None,
    ) -> ProtocolResult:
        """Fit the head on one cell and score its test predictions."""
        settings = validate_settings(self.settings_model, settings or {}, self.name)
        task = inputs.task
        if not isinstance(task.output, self.outputs):
            serving = [
                n for n in PROTOCOLS.names()
                if isinstance(PROTOCOLS.get(n), FrozenProtocol)
                and isinstance(task.output, PROTOCOLS.get(n).outputs)
            ]  # fmt: skip
            raise ConfigError(
                f"the {self.name} protocol cannot predict {task.kind} targets",
                f"frozen protocols that can: {', '.join(serving) or 'none'}; or a training one",
            )
        split = select_cell(inputs, fraction, seed, n_per_class, settings)
        start = time.perf_counter()
        with thread_limit(settings.threads):
            fit = self.fit(split, task, settings, seed)
        total = time.perf_counter() - start
        predictions = Predictions(
            y_true=inputs.targets[split.test_indices],
            y_pred=as_task_shape(task, fit.y_pred),
            probabilities=fit.probabilities,
            samples=fit.samples,
            indices=split.test_indices,
            extra=fit.extra,
        )
        return ProtocolResult(
            protocol=self.name,
            target=task.target,
            fraction=fraction,
            seed=seed,
            metrics=task.score(predictions),
            hyperparameters=fit.hyperparameters,
            n_train=len(split.y_train),
            n_val=len(split.y_val),
            n_test=len(split.y_test),
            predictions=predictions,
            params_total=inputs.params_total + fit.params_trainable,
            params_trainable=fit.params_trainable,
            train_seconds=max(total - fit.eval_seconds, 0.0),
            eval_seconds=fit.eval_seconds,
            throughput_per_second=len(split.y_test) / max(fit.eval_seconds, 1e-9),
            extra={"n_per_class": n_per_class, "embedding": inputs.info},
        )


def frozen_protocol(
    name: str,
    settings_model: type[FrozenSettings] = FrozenSettings,
    outputs: tuple[type, ...] = (ClassOutput, ValueOutput),
) -> Callable[[HeadFitFn], HeadFitFn]:
    """Decorator: register a head fit as the frozen protocol `name` with its settings model and
    the task outputs it can produce (classes and values by default)."""

    def decorate(fit: HeadFitFn) -> HeadFitFn:
        register_protocol(name)(FrozenProtocol(name, fit, settings_model, outputs))
        return fit

    return decorate
