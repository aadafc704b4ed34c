"""kNN on frozen embeddings: cosine similarity, distance-weighted votes, every k from one search.

The top-k_max neighbours of every validation and test object are found once (blocked matrix
products and `torch.topk`); the prediction for every k in the grid then comes from cumulative
sums over the sorted neighbours, so choosing k on the validation split costs nothing extra.
Weights are exp(similarity / T) as in the DINO kNN evaluation (T = 0.07 by default).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from pydantic import Field

from astrobench.protocols.frozen import FrozenSettings, FrozenSplit, HeadFit, frozen_protocol
from astrobench.tasks.base import ClassOutput, Task

DEFAULT_KS = (1, 5, 10, 20, 50, 100)
DEFAULT_TEMPERATURE = 0.07
_QUERY_BLOCK = 1024
_MAX_SHARED_BYTES = 1 << 30  # similarity matrix kept for all cells of one ladder


@torch.inference_mode()
def nearest_neighbours(
    queries: np.ndarray, reference: np.ndarray, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine similarities and indices of the `k` most similar reference rows, each [Q, k]."""
    ref = torch.nn.functional.normalize(torch.from_numpy(reference).float(), dim=1)  # [R, D]
    query = torch.nn.functional.normalize(torch.from_numpy(queries).float(), dim=1)  # [Q, D]
    sims, idx = [], []
    for start in range(0, len(query), _QUERY_BLOCK):
        block = query[start : start + _QUERY_BLOCK] @ ref.T  # [q, R]
        top = torch.topk(block, k, dim=1)  # sorted, most similar first
        sims.append(top.values)
        idx.append(top.indices)
    return torch.cat(sims), torch.cat(idx)


@torch.inference_mode()
def knn_predict_all_k(
    sims: torch.Tensor,
    neighbour_targets: torch.Tensor,
    ks: Sequence[int],
    temperature: float,
    n_classes: int | None,
) -> torch.Tensor:
    """Weighted-vote class probabilities [K, Q, C] (or weighted means [K, Q, T]) for every k.

    `neighbour_targets` is [Q, k_max] classes or [Q, k_max, T] values.
    """
    weights = torch.exp((sims - sims[:, :1]) / temperature)  # [Q, k_max]; shift keeps exp finite
    cols = torch.as_tensor([k - 1 for k in ks])
    if n_classes is None:
        weighted = torch.cumsum(weights[..., None] * neighbour_targets, dim=1)[:, cols]  # [Q, K, T]
        means = weighted / torch.cumsum(weights, dim=1)[:, cols, None]
        return means.permute(1, 0, 2)  # [K, Q, T]
    votes = torch.nn.functional.one_hot(neighbour_targets, n_classes) * weights[..., None]
    cumulative = torch.cumsum(votes, dim=1)[:, cols]  # [Q, K, C]
    probs = cumulative / cumulative.sum(dim=2, keepdim=True)
    return probs.permute(1, 0, 2)  # [K, Q, C]


def _cell_neighbours(split: FrozenSplit, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k of the val + test rows among the cell's training rows, each [n_val + n_test, k].

    Every cell shares the val and test rows and draws its training rows from one train split,
    so the similarities to the whole train split are computed once per FrozenInputs and each
    cell only selects its columns, when that matrix fits in `_MAX_SHARED_BYTES`.
    """
    source = split.source
    n_queries = len(split.x_val) + len(split.x_test)
    if source is None or split.train_positions is None:
        return nearest_neighbours(np.concatenate([split.x_val, split.x_test]), split.x_train, k)
    n_reference = len(source.splits["train"])
    if n_queries * n_reference * 4 > _MAX_SHARED_BYTES:
        return nearest_neighbours(np.concatenate([split.x_val, split.x_test]), split.x_train, k)
    if "knn_similarity" not in source.memo:
        queries = source.features[np.concatenate([source.splits["val"], source.splits["test"]])]
        source.memo["knn_similarity"] = cosine_similarity(
            queries, source.features[source.splits["train"]]
        )
    similarity = source.memo["knn_similarity"][:, torch.from_numpy(split.train_positions)]
    top = torch.topk(similarity, k, dim=1)  # [Q, k]
    return top.values, top.indices


@torch.inference_mode()
def cosine_similarity(queries: np.ndarray, reference: np.ndarray) -> torch.Tensor:
    """Cosine similarity of every query to every reference row, [Q, R] float32."""
    ref = torch.nn.functional.normalize(torch.from_numpy(reference).float(), dim=1)  # [R, D]
    query = torch.nn.functional.normalize(torch.from_numpy(queries).float(), dim=1)  # [Q, D]
    return query @ ref.T


class KnnSettings(FrozenSettings):
    """k grid (chosen on validation) and the vote temperature."""

    ks: list[int] = Field(default_factory=lambda: list(DEFAULT_KS), min_length=1)
    temperature: float = Field(default=DEFAULT_TEMPERATURE, gt=0)


@frozen_protocol("knn", KnnSettings)
def fit_knn(split: FrozenSplit, task: Task, settings: KnnSettings, seed: int) -> HeadFit:
    """Choose k (and nothing else) on the validation split; predict the test split with it."""
    del seed  # kNN is deterministic given the labelled subset
    temperature = settings.temperature
    ks = sorted({max(1, min(int(k), len(split.y_train))) for k in settings.ks})
    output = task.output
    n_classes = output.n_classes if isinstance(output, ClassOutput) else None
    dtype = torch.long if n_classes is not None else torch.float64
    train_targets = torch.as_tensor(split.y_train, dtype=dtype)

    sims, idx = _cell_neighbours(split, max(ks))
    n_val = len(split.x_val)
    val_out = knn_predict_all_k(
        sims[:n_val], train_targets[idx[:n_val]], ks, temperature, n_classes
    )
    val_pred = val_out.argmax(-1) if n_classes is not None else val_out
    best = int(np.argmax(task.selection_score(split.y_val, val_pred.numpy())))

    start = time.perf_counter()
    test_out = knn_predict_all_k(
        sims[n_val:], train_targets[idx[n_val:]], [ks[best]], temperature, n_classes
    )[0]
    probabilities = test_out.numpy().astype(np.float32) if n_classes is not None else None
    y_pred = test_out.argmax(-1).numpy() if n_classes is not None else test_out.numpy()
    return HeadFit(
        y_pred=y_pred,
        probabilities=probabilities,
        hyperparameters={"k": ks[best], "temperature": temperature, "metric": "cosine"},
        params_trainable=0,
        eval_seconds=time.perf_counter() - start,
    )
