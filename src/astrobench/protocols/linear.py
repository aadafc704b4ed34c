"""Linear probe on frozen embeddings: logistic regression over a C grid, ridge over an alpha grid.

Both sweep their whole grid in one pass over the grid. Logistic regression follows the
regularisation path (full-batch L-BFGS, each C warm-started from the previous, more regularised
one). Ridge solves every alpha from one eigendecomposition of XᵀX. The grid value is chosen on
the validation split.

C follows scikit-learn's convention: the loss is C · Σ cross-entropy + ½‖W‖², i.e. mean
cross-entropy + ‖W‖² / (2 · C · n_train).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from pydantic import Field

from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.tasks.base import ClassOutput, Task

DEFAULT_C_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
DEFAULT_ALPHA_GRID = tuple(float(a) for a in np.logspace(-2, 6, 9))
DEFAULT_MAX_ITER = 30
PATH_PATIENCE = 2


class LinearSettings(FrozenSettings):
    """Regularisation grids (chosen on validation) and the L-BFGS iteration budget."""

    c_grid: list[float] = Field(default_factory=lambda: list(DEFAULT_C_GRID), min_length=1)
    alpha_grid: list[float] = Field(default_factory=lambda: list(DEFAULT_ALPHA_GRID), min_length=1)
    max_iter: int = Field(default=DEFAULT_MAX_ITER, ge=1)


def standardise(x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Every array centred and scaled by the training mean and standard deviation."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0) + 1e-6
    return [((x - mean) / std).astype(np.float32) for x in (x_train, *others)]


def fit_logistic_path(
    x: list[np.ndarray],
    y_train: np.ndarray,
    y_val: np.ndarray,
    n_classes: int,
    c_grid: tuple[float, ...],
    max_iter: int = DEFAULT_MAX_ITER,
) -> tuple[float, torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression along the C path; (best C, weights [D, C], biases [C]).

    The grid is walked from the strongest regularisation to the weakest, each fit warm-started
    from the previous solution, and scored on the validation rows. The walk stops once
    validation accuracy has fallen below the best for `PATH_PATIENCE` steps: past the peak the
    weaker, slowest-converging fits cannot win. Ties do not count: with few, unevenly distributed
    labels the strongest regularisations all predict the majority class and score alike, and
    the peak lies beyond that plateau.
    """
    x_train, x_val = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in x[:2])
    y = torch.from_numpy(np.asarray(y_train, dtype=np.int64))
    weights = torch.zeros(x_train.shape[1], n_classes, requires_grad=True)  # [D, C]
    biases = torch.zeros(n_classes, requires_grad=True)
    best: tuple[float, float, torch.Tensor, torch.Tensor] | None = None
    stale = 0
    for c in sorted(c_grid):
        _minimise_logistic(x_train, y, weights, biases, 1.0 / (c * len(x_train)), max_iter)
        with torch.inference_mode():
            val_pred = (x_val @ weights + biases).argmax(1).numpy()
        score = float(np.mean(val_pred == y_val))
        if best is None or score > best[0]:
            best, stale = (score, c, weights.detach().clone(), biases.detach().clone()), 0
        elif score < best[0]:
            stale += 1
            if stale >= PATH_PATIENCE:
                break
    assert best is not None
    return best[1], best[2], best[3]


def _minimise_logistic(
    x: torch.Tensor,
    y: torch.Tensor,
    weights: torch.Tensor,
    biases: torch.Tensor,
    l2: float,
    max_iter: int,
) -> None:
    """Mean cross-entropy + l2/2 ‖W‖² by full-batch L-BFGS, in place."""
    optimizer = torch.optim.LBFGS(
        [weights, biases],
        lr=1,
        max_iter=max_iter,
        history_size=10,
        tolerance_grad=1e-4,
        tolerance_change=1e-6,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = x @ weights + biases  # [N, C]
        loss = torch.nn.functional.cross_entropy(logits, y) + 0.5 * l2 * (weights**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)


def fit_ridge_grid(
    x_train: np.ndarray, y_train: np.ndarray, alphas: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression for every alpha from one eigendecomposition of XᵀX.

    `y_train` is [n] or [n, T]. Returns coefficients [G, D] and intercepts [G] for [n] targets,
    [G, D, T] and [G, T] for [n, T] targets.
    """
    x = np.asarray(x_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64)
    columns = y.reshape(len(y), -1)  # [n, T]
    x_mean, y_mean = x.mean(axis=0), columns.mean(axis=0)  # [D], [T]
    centred = x - x_mean
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)  # [D], [D, D]
    projected = eigenvectors.T @ (centred.T @ (columns - y_mean))  # [D, T]
    shrink = 1.0 / (np.clip(eigenvalues, 0, None)[None, :] + np.asarray(alphas)[:, None])  # [G, D]
    coefs = np.einsum("ed,gd,dt->get", eigenvectors, shrink, projected)  # [G, D, T]
    intercepts = y_mean[None, :] - np.einsum("d,gdt->gt", x_mean, coefs)  # [G, T]
    if y.ndim == 1:
        return coefs[..., 0], intercepts[:, 0]
    return coefs, intercepts


def fit_linear_head(
    split: FrozenSplit, x: list[np.ndarray], task: Task, settings: LinearSettings
) -> HeadFit:
    """Sweep the grid on prepared features `x` = [train, val, test]; choose on validation."""
    x_train, x_val, x_test = x
    output = task.output
    if not isinstance(output, ClassOutput):
        alphas = tuple(settings.alpha_grid)
        coefs, intercepts = fit_ridge_grid(x_train, split.y_train, alphas)  # [G, D, T], [G, T]
        val_pred = np.einsum("nd,gdt->gnt", x_val.astype(np.float64), coefs) + intercepts[:, None]
        best = int(np.argmax(task.selection_score(split.y_val, val_pred)))
        start = time.perf_counter()
        y_pred = x_test.astype(np.float64) @ coefs[best] + intercepts[best]  # [n_test, T]
        n_params = int(coefs[best].size + intercepts[best].size)
        return HeadFit(y_pred, None, {"alpha": alphas[best]}, n_params, time.perf_counter() - start)
    n_classes = output.n_classes or int(split.y_train.max()) + 1
    c, weights, biases = fit_logistic_path(
        x, split.y_train, split.y_val, n_classes, tuple(settings.c_grid), settings.max_iter
    )
    start = time.perf_counter()
    with torch.inference_mode():
        probs = torch.softmax(torch.from_numpy(x_test) @ weights + biases, dim=1)
    n_params = weights.numel() + biases.numel()
    return HeadFit(
        probs.argmax(1).numpy(), probs.numpy(), {"C": c}, n_params, time.perf_counter() - start
    )


@frozen_protocol("linear", LinearSettings)
def fit_linear(split: FrozenSplit, task: Task, settings: LinearSettings, seed: int) -> HeadFit:
    """Linear head on standardised embeddings (logistic regression or ridge)."""
    del seed  # both fits are convex and start from zero: the subset is the only randomness
    features = standardise(split.x_train, split.x_val, split.x_test)
    return fit_linear_head(split, features, task, settings)
