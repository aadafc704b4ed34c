"""What every frozen protocol shares: embeddings and targets, the fixed split, the labelled subset.

A frozen protocol is a *head fit*: a function `(FrozenSplit, task, settings, seed) -> HeadFit`
that chooses its hyper-parameters on the validation rows only and predicts the test rows.
`@frozen_protocol("name")` registers it in `PROTOCOLS` as a `FrozenProtocol`, which answers a
`ProtocolRequest` (embedding the file through the shared cache) and, for the ladder, a cell on
embeddings already in memory.

The train/val/test split depends only on `settings["split_seed"]` (default 0), never on the run
seed: the run seed picks the label-fraction (or few-shot) subset and the head's initialisation,
so different seeds are different draws on the same test set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.splits import (
    few_shot_subset,
    label_fraction_subset,
    strata_for,
    stratified_split,
)
from astrobench.errors import ConfigError, InsufficientDataError, NonFiniteDataError
from astrobench.metrics.scoring import score_task
from astrobench.protocols.base import ProtocolRequest, ProtocolResult
from astrobench.registry import register_protocol
from astrobench.tasks.task import TaskSpec

DEFAULT_MIN_PER_CLASS = 2
DEFAULT_MIN_TRAIN = 5
# Heads are small matrices: one thread is as fast as two on an idle 2-core machine and many
# times faster on a busy one (OpenMP threads spin against each other). settings["threads"].
DEFAULT_THREADS = 1


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run the block with `n_threads` torch and BLAS threads, then restore the previous count."""
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, n_threads))
    try:
        with threadpool_limits(limits=max(1, n_threads)):  # NumPy's BLAS too
            yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class FrozenInputs:
    """Embeddings and targets of every object in a file, and its fixed labelled split."""

    features: np.ndarray  # [N, D] float32, file order
    targets: np.ndarray  # [N] int64 class or float64 value
    task: TaskSpec
    splits: dict[str, np.ndarray]  # labelled object indices of train / val / test
    strata: np.ndarray  # [N] int64, for stratified label fractions
    params_total: int = 0  # of the backbone that made the features
    info: dict[str, Any] = field(default_factory=dict)  # how the embeddings were made
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # shared by all cells


@dataclass
class FrozenSplit:
    """One cell's rows: the (subset of the) train split, the whole val and test splits."""

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

    y_pred: np.ndarray
    probabilities: np.ndarray | None
    hyperparameters: dict[str, Any]
    params_trainable: int
    eval_seconds: float


HeadFitFn = Callable[[FrozenSplit, TaskSpec, Mapping[str, Any], int], HeadFit]


def labelled_mask(targets: np.ndarray, task: TaskSpec) -> np.ndarray:
    """Objects that carry a usable target: a class >= 0, or a finite value."""
    if task.is_classification:
        return np.asarray(targets) != fmt.NO_LABEL
    return np.isfinite(np.asarray(targets, dtype=np.float64))


def inputs_from_arrays(
    features: np.ndarray,
    targets: np.ndarray,
    task: TaskSpec,
    splits: Mapping[str, np.ndarray] | None = None,
    split_seed: int = 0,
    params_total: int = 0,
    info: Mapping[str, Any] | None = None,
) -> FrozenInputs:
    """FrozenInputs from arrays: unlabelled objects are dropped from every split.

    Without `splits`, a stratified 80/10/10 split is drawn from `split_seed`.
    """
    features = np.asarray(features, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.int64 if task.is_classification else np.float64)
    if features.ndim != 2 or len(features) != len(targets):
        raise ConfigError(f"features must be [N, D] with N = {len(targets)}, got {features.shape}")
    if not np.isfinite(features).all():
        bad = int(np.flatnonzero(~np.isfinite(features).all(axis=1))[0])
        raise NonFiniteDataError(
            f"the embedding of object {bad} is not finite", "check the images and the backbone"
        )
    strata = strata_for(targets)
    if splits is None:
        splits = stratified_split(strata, split_seed)
    labelled = labelled_mask(targets, task)
    clean = {name: np.sort(np.asarray(rows)[labelled[rows]]) for name, rows in splits.items()}
    for name in ("train", "val", "test"):
        if len(clean.get(name, ())) == 0:
            raise InsufficientDataError(
                f"the {name} split has no labelled objects for target {task.target!r}",
                "use a file with more labelled objects",
            )
    return FrozenInputs(features, targets, task, clean, strata, params_total, dict(info or {}))


def select_cell(
    inputs: FrozenInputs,
    fraction: float,
    seed: int,
    n_per_class: int | None = None,
    settings: Mapping[str, Any] | None = None,
) -> FrozenSplit:
    """The rows of one (fraction or n-per-class, seed) cell, checked to be enough to fit."""
    settings = settings or {}
    train = inputs.splits["train"]
    if n_per_class is not None:
        if not inputs.task.is_classification:
            raise ConfigError("n-per-class few-shot needs a classification target")
        train = few_shot_subset(train, inputs.targets[train], n_per_class, seed)
    elif fraction < 1.0:
        train = label_fraction_subset(train, inputs.strata[train], fraction, seed)
    _check_enough(inputs, train, fraction, n_per_class, settings)
    val, test = inputs.splits["val"], inputs.splits["test"]
    x, y = inputs.features, inputs.targets
    positions = np.searchsorted(inputs.splits["train"], train)
    return FrozenSplit(
        x[train], y[train], x[val], y[val], x[test], y[test], test, positions, inputs
    )


def _check_enough(
    inputs: FrozenInputs,
    train: np.ndarray,
    fraction: float,
    n_per_class: int | None,
    settings: Mapping[str, Any],
) -> None:
    where = (
        f"{n_per_class} per class" if n_per_class is not None else f"label fraction {fraction:g}"
    )
    hint = "use a larger label fraction or a file with more labelled objects"
    if not inputs.task.is_classification:
        need = int(settings.get("min_train", DEFAULT_MIN_TRAIN))
        if len(train) < need:
            raise InsufficientDataError(
                f"only {len(train)} labelled training objects at {where} (need at least {need})",
                hint,
            )
        return
    need = int(settings.get("min_per_class", DEFAULT_MIN_PER_CLASS))
    counts = np.bincount(inputs.targets[train], minlength=int(inputs.task.n_classes or 0))
    present = np.unique(inputs.targets[np.concatenate(list(inputs.splits.values()))])
    short = [int(c) for c in present if counts[c] < need]
    if short:
        names = inputs.task.class_names or ()
        label = names[short[0]] if short[0] < len(names) else str(short[0])
        raise InsufficientDataError(
            f"class {label!r} has {counts[short[0]]} labelled training objects at {where} "
            f"(need at least {need})",
            hint,
        )


def validation_score(task: TaskSpec, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Higher-is-better score used to choose hyper-parameters: accuracy, or minus the MSE.

    `y_pred` may carry a leading grid axis ([G, n_val]); the result then has shape [G].
    """
    y_pred = np.asarray(y_pred)
    if task.is_classification:
        return np.mean(y_pred == y_true, axis=-1)
    return -np.mean((y_pred - y_true) ** 2, axis=-1)


class FrozenProtocol:
    """A registered frozen protocol: answers requests (via the embedding cache) and cells."""

    def __init__(self, name: str, fit: HeadFitFn) -> None:
        self.name = name
        self.fit = fit

    def __call__(self, request: ProtocolRequest) -> ProtocolResult:
        from astrobench.protocols.embedding_inputs import load_frozen_inputs

        inputs = load_frozen_inputs(
            request.backbone, request.data, request.task, request.settings, request.cache_dir
        )
        return self.run_cell(
            inputs, request.fraction, request.seed, request.n_per_class, request.settings
        )

    def run_cell(
        self,
        inputs: FrozenInputs,
        fraction: float = 1.0,
        seed: int = 0,
        n_per_class: int | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> ProtocolResult:
        """Fit the head on one cell and score its test predictions."""
        settings = dict(settings or {})
        split = select_cell(inputs, fraction, seed, n_per_class, settings)
        start = time.perf_counter()
        with torch_threads(int(settings.get("threads", DEFAULT_THREADS))):
            fit = self.fit(split, inputs.task, settings, seed)
        total = time.perf_counter() - start
        return ProtocolResult(
            protocol=self.name,
            target=inputs.task.target,
            fraction=fraction,
            seed=seed,
            metrics=score_task(inputs.task, split.y_test, fit.y_pred, fit.probabilities),
            hyperparameters=fit.hyperparameters,
            n_train=len(split.y_train),
            n_val=len(split.y_val),
            n_test=len(split.y_test),
            y_true=split.y_test,
            y_pred=fit.y_pred,
            probabilities=fit.probabilities,
            test_indices=split.test_indices,
            params_total=inputs.params_total + fit.params_trainable,
            params_trainable=fit.params_trainable,
            train_seconds=max(total - fit.eval_seconds, 0.0),
            eval_seconds=fit.eval_seconds,
            throughput_per_second=len(split.y_test) / max(fit.eval_seconds, 1e-9),
            extra={"n_per_class": n_per_class, "embedding": inputs.info},
        )


def frozen_protocol(name: str) -> Callable[[HeadFitFn], HeadFitFn]:
    """Decorator: register a head fit as the frozen protocol `name`."""

    def decorate(fit: HeadFitFn) -> HeadFitFn:
        register_protocol(name)(FrozenProtocol(name, fit))
        return fit

    return decorate
