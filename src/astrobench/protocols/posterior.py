"""Posterior protocols on frozen embeddings: `flow`, and the baselines `gaussian`, `knn_posterior`.

`flow` fits an ensemble of conditional spline flows (`protocols/flow_fit.py`, seed 003 §6.4)
to the standardised target vector given the standardised embedding, early-stopped on the
validation NLL. Every protocol here returns S posterior samples per test object (`samples`,
[n, S, T]) and the posterior median as the point estimate, so the task scores accuracy
(R², σ_NMAD, ...) and calibration (NLL, TARP, coverage, PIT, CRPS) of the same predictions.
Densities of the true test values, where the model has one, travel in the predictions' extra
arrays (`log_density` [n], `member_log_density` [n, M]) for the NLL.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import Field

from astrobench.data.target_checks import (
    check_enough_objects,
    check_not_constant,
    check_valid_targets,
)
from astrobench.errors import ConfigError
from astrobench.metrics.calibration import mixture_log_density
from astrobench.protocols.flow_fit import MIN_OBJECTS, FlowSettings, fit_flow_ensemble
from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.protocols.linear import DEFAULT_ALPHA_GRID
from astrobench.protocols.posterior_baselines import (
    DEFAULT_POSTERIOR_KS,
    fit_gaussian_posterior,
    fit_knn_posterior,
    ridge_point_predictions,
)
from astrobench.tasks.base import Task, ValueOutput


class FlowProtocolSettings(FrozenSettings, FlowSettings):
    """The flow ensemble's settings (`FlowSettings`) beside every frozen protocol's."""


class GaussianSettings(FrozenSettings):
    """Ridge alpha grid (chosen per column on validation) and the posterior draws."""

    alpha_grid: list[float] = Field(default_factory=lambda: list(DEFAULT_ALPHA_GRID), min_length=1)
    samples: int = Field(default=200, ge=2)


class KnnPosteriorSettings(FrozenSettings):
    """The k grid; k is chosen on validation by the energy score."""

    ks: list[int] = Field(default_factory=lambda: list(DEFAULT_POSTERIOR_KS), min_length=1)


def _value_columns(task: Task, split: FrozenSplit, protocol: str) -> tuple[str, ...]:
    """The target columns, once the task and its values are fit for a posterior.

    Raises:
        ConfigError: the task predicts classes.
        DataError: a column holds sentinel codes (e.g. -99) or is constant over training.
        InsufficientDataError: fewer labelled training or validation objects than needed.
    """
    if not isinstance(task.output, ValueOutput):
        raise ConfigError(
            f"protocol {protocol!r} estimates posteriors of real-valued targets, "
            f"not the classes of {task.target!r}",
            "use --target with numeric columns (e.g. redshift,log_mstar,log_ssfr)",
        )
    counts = {"train": len(split.y_train), "val": len(split.y_val)}
    check_enough_objects(counts, MIN_OBJECTS, f"protocol {protocol!r}")
    check_valid_targets(np.concatenate([split.y_train, split.y_val, split.y_test]), task.columns)
    check_not_constant(split.y_train, task.columns)
    return task.columns


def _posterior_median(samples: np.ndarray) -> np.ndarray:
    return np.asarray(np.median(samples, axis=1))  # [n, T]


@frozen_protocol("flow", FlowProtocolSettings)
def fit_flow(split: FrozenSplit, task: Task, settings: FlowProtocolSettings, seed: int) -> HeadFit:
    """An ensemble of conditional spline flows; S samples and densities of the test truths."""
    columns = _value_columns(task, split, "flow")
    flow_settings = FlowSettings(**{k: getattr(settings, k) for k in FlowSettings.model_fields})
    ensemble = fit_flow_ensemble(
        split.x_train, split.y_train, split.x_val, split.y_val, flow_settings, seed, columns
    )
    start = time.perf_counter()
    samples = ensemble.sample(split.x_test, settings.samples, seed)  # [n, S, T]
    members = ensemble.member_log_density(split.x_test, split.y_test)  # [M, n]
    eval_seconds = time.perf_counter() - start
    return HeadFit(
        y_pred=_posterior_median(samples),
        probabilities=None,
        hyperparameters=ensemble.describe(),
        params_trainable=sum(p.numel() for m in ensemble.members for p in m.parameters()),
        eval_seconds=eval_seconds,
        samples=samples.astype(np.float32),
        extra={"log_density": mixture_log_density(members), "member_log_density": members.T},
    )


@frozen_protocol("gaussian", GaussianSettings)
def fit_gaussian(split: FrozenSplit, task: Task, settings: GaussianSettings, seed: int) -> HeadFit:
    """Ridge mean per object, one global sigma per column from the validation residuals."""
    _value_columns(task, split, "gaussian")
    val_pred, test_pred = ridge_point_predictions(
        split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, settings.alpha_grid
    )
    start = time.perf_counter()
    posterior = fit_gaussian_posterior(val_pred, split.y_val, test_pred)
    samples = posterior.sample(settings.samples, seed)
    return HeadFit(
        y_pred=posterior.mean,
        probabilities=None,
        hyperparameters={"sigma": posterior.sigma.tolist()},
        params_trainable=split.x_train.shape[1] * posterior.mean.shape[1]
        + 2 * posterior.mean.shape[1],
        eval_seconds=time.perf_counter() - start,
        samples=samples.astype(np.float32),
        extra={"log_density": posterior.log_density(split.y_test)},
    )


@frozen_protocol("knn_posterior", KnnPosteriorSettings)
def fit_knn_posterior_protocol(
    split: FrozenSplit, task: Task, settings: KnnPosteriorSettings, seed: int
) -> HeadFit:
    """The targets of the k nearest training objects as samples; the median as the estimate."""
    del seed  # deterministic given the labelled subset
    _value_columns(task, split, "knn_posterior")
    start = time.perf_counter()
    result = fit_knn_posterior(
        split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, settings.ks
    )
    return HeadFit(
        y_pred=_posterior_median(result.samples),
        probabilities=None,
        hyperparameters={"k": result.k, "metric": "cosine"},
        params_trainable=0,
        eval_seconds=time.perf_counter() - start,
        samples=result.samples.astype(np.float32),
    )
