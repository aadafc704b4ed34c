"""kNN on standardised embeddings with inverse-distance weights: seed 003's zero-shot estimator.

AstroCLIP's zero-shot property and redshift estimates (§6.2–6.3) are k-nearest-neighbour
regressions with k = 64, neighbours by Euclidean distance on embeddings standardised with the
training rows' mean and standard deviation, each neighbour weighted by 1 / distance. Every k
of the grid comes from one search (cumulative sums over the sorted neighbours), and k is chosen
on the validation split. Classes are weighted votes.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from pydantic import Field

from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.tasks.base import ClassOutput, Task

DEFAULT_KS = (64,)
MIN_DISTANCE = 1e-12  # an exact duplicate gets a huge, finite weight
_QUERY_BLOCK = 1024


class KnnDistanceSettings(FrozenSettings):
    """k grid (chosen on validation)."""

    ks: list[int] = Field(default_factory=lambda: list(DEFAULT_KS), min_length=1)


@torch.inference_mode()
def standardised_neighbours(
    x_train: np.ndarray, queries: np.ndarray, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distances, indices) [Q, k] of the k nearest training rows (all standardised by them)."""
    train = torch.from_numpy(np.asarray(x_train, np.float64))
    mean, std = train.mean(dim=0), train.std(dim=0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    reference = (train - mean) / std  # [R, D]
    query = (torch.from_numpy(np.asarray(queries, np.float64)) - mean) / std  # [Q, D]
    dists, idx = [], []
    for start in range(0, len(query), _QUERY_BLOCK):
        block = torch.cdist(query[start : start + _QUERY_BLOCK], reference)  # [q, R]
        top = torch.topk(block, k, dim=1, largest=False)  # nearest first
        dists.append(top.values)
        idx.append(top.indices)
    return torch.cat(dists), torch.cat(idx)


def predict_all_k(
    distances: torch.Tensor, targets: torch.Tensor, ks: list[int], n_classes: int | None
) -> torch.Tensor:
    """1/d-weighted means [K, Q, T] (or vote fractions [K, Q, C]) for every k of `ks`."""
    weights = 1.0 / distances.clamp_min(MIN_DISTANCE)  # [Q, k_max]
    cols = torch.as_tensor([k - 1 for k in ks])
    if n_classes is None:
        weighted = torch.cumsum(weights[..., None] * targets, dim=1)[:, cols]  # [Q, K, T]
        return (weighted / torch.cumsum(weights, dim=1)[:, cols, None]).permute(1, 0, 2)
    votes = torch.nn.functional.one_hot(targets, n_classes) * weights[..., None]
    cumulative = torch.cumsum(votes, dim=1)[:, cols]  # [Q, K, C]
    return (cumulative / cumulative.sum(dim=2, keepdim=True)).permute(1, 0, 2)


@frozen_protocol("knn_distance", KnnDistanceSettings)
def fit_knn_distance(
    split: FrozenSplit, task: Task, settings: KnnDistanceSettings, seed: int
) -> HeadFit:
    """Choose k on the validation split; predict the test split with it."""
    del seed  # deterministic given the labelled subset
    ks = sorted({max(1, min(int(k), len(split.y_train))) for k in settings.ks})
    output = task.output
    n_classes = output.n_classes if isinstance(output, ClassOutput) else None
    dtype = torch.long if n_classes is not None else torch.float64
    train_targets = torch.as_tensor(split.y_train, dtype=dtype)
    distances, idx = standardised_neighbours(
        split.x_train, np.concatenate([split.x_val, split.x_test]), max(ks)
    )
    n_val = len(split.x_val)
    val_out = predict_all_k(distances[:n_val], train_targets[idx[:n_val]], ks, n_classes)
    val_pred = val_out.argmax(-1) if n_classes is not None else val_out
    best = int(np.argmax(task.selection_score(split.y_val, val_pred.numpy())))
    start = time.perf_counter()
    test_out = predict_all_k(distances[n_val:], train_targets[idx[n_val:]], [ks[best]], n_classes)[
        0
    ]
    probabilities = test_out.numpy().astype(np.float32) if n_classes is not None else None
    y_pred = test_out.argmax(-1).numpy() if n_classes is not None else test_out.numpy()
    return HeadFit(
        y_pred=y_pred,
        probabilities=probabilities,
        hyperparameters={"k": ks[best], "metric": "euclidean-standardised", "weights": "1/d"},
        params_trainable=0,
        eval_seconds=time.perf_counter() - start,
    )
