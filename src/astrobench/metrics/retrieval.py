"""Similarity search and retrieval metrics on embeddings (seed 003 §6.1).

Similarity is cosine (embeddings are L2-normalised here). Search runs through faiss
(`IndexFlatIP`, exact) when it is importable, otherwise through an exact torch matrix product in
blocks; both return the same neighbours up to ties.

Cross-modal metrics: for each object i, the rank of its own pair b_i among all of b when
queried with a_i (1 = retrieved first; ties count in the object's favour), recall@k = fraction
of objects whose pair ranks <= k, and the median rank. Chance: recall@k = k / N.
Neighbour agreement: predict a property of each query as the mean over its k neighbours in the
database and score it (R², and σ_NMAD of Δz = (ẑ − z)/(1 + z) for redshift).
"""

from __future__ import annotations

import numpy as np
import torch

from astrobench.metrics.photoz import sigma_nmad
from astrobench.metrics.regression import r2

BLOCK_QUERIES = 1024


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 [N, E] (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _faiss_search(
    queries: np.ndarray, database: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    index = faiss.IndexFlatIP(database.shape[1])
    index.add(database)
    sims, ids = index.search(queries, k)
    return ids.astype(np.int64), sims


def _torch_search(
    queries: np.ndarray, database: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    db = torch.from_numpy(database)
    ids, sims = [], []
    for start in range(0, len(queries), BLOCK_QUERIES):
        block = torch.from_numpy(queries[start : start + BLOCK_QUERIES]) @ db.T  # [q, N]
        top = block.topk(k, dim=1)
        ids.append(top.indices.numpy())
        sims.append(top.values.numpy())
    return np.concatenate(ids).astype(np.int64), np.concatenate(sims)


def search(
    queries: np.ndarray, database: np.ndarray, k: int, exclude_self: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(neighbour indices [Q, k], cosine similarities [Q, k]) of each query, most similar first.

    `exclude_self`: queries and database are the same objects in the same order (in-modal
    search); the query itself is left out of its neighbours.
    """
    q, db = normalize(queries), normalize(database)
    want = min(k + int(exclude_self), len(db))
    try:
        ids, sims = _faiss_search(q, db, want)
    except ImportError:
        ids, sims = _torch_search(q, db, want)
    if exclude_self:
        keep = ids != np.arange(len(q))[:, None]  # [Q, want]
        keep[keep.all(axis=1), -1] = False  # self not retrieved (ties): drop the last instead
        ids = ids[keep].reshape(len(q), want - 1)
        sims = sims[keep].reshape(len(q), want - 1)
    return ids[:, :k], sims[:, :k]


def pair_ranks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1-based rank of b_i among all rows of b for query a_i, [N] int64."""
    qa, qb = torch.from_numpy(normalize(a)), torch.from_numpy(normalize(b))
    ranks = []
    for start in range(0, len(qa), BLOCK_QUERIES):
        sims = qa[start : start + BLOCK_QUERIES] @ qb.T  # [q, N]
        own = sims[torch.arange(len(sims)), torch.arange(start, start + len(sims))]  # [q]
        ranks.append(1 + (sims > own[:, None]).sum(dim=1).numpy())
    return np.concatenate(ranks).astype(np.int64)


def cross_modal_recall(
    a: np.ndarray, b: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)
) -> dict[str, float]:
    """recall@k for each k, the median rank, and chance recall@k, querying b with a."""
    ranks = pair_ranks(a, b)
    out = {f"recall@{k}": float(np.mean(ranks <= k)) for k in ks}
    out.update({f"chance_recall@{k}": min(1.0, k / len(ranks)) for k in ks})
    out["median_rank"] = float(np.median(ranks))
    return out


def neighbour_property_agreement(
    queries: np.ndarray,
    database: np.ndarray,
    query_values: np.ndarray,
    database_values: np.ndarray,
    k: int = 16,
    exclude_self: bool = False,
    redshift: bool = False,
) -> dict[str, float]:
    """R² (and σ_NMAD when `redshift`) of each query's value against its neighbours' mean."""
    ids, _ = search(queries, database, k, exclude_self)
    predicted = np.asarray(database_values, dtype=np.float64)[ids].mean(axis=1)  # [Q]
    truth = np.asarray(query_values, dtype=np.float64)
    out = {"r2": r2(truth, predicted)}
    if redshift:
        out["sigma_nmad"] = sigma_nmad(truth, predicted)
    return out


def _most_own_rows(query_ids: np.ndarray, database_ids: np.ndarray) -> int:
    """The largest number of database rows one query's own object holds (left out of its
    neighbours): duplicates of an object in a bootstrap resample each count."""
    ids, counts = np.unique(database_ids, return_counts=True)
    own = counts[np.isin(ids, query_ids)]
    return int(own.max()) if own.size else 0


def neighbour_means(
    queries: np.ndarray,
    database: np.ndarray,
    values: np.ndarray,
    k: int,
    query_ids: np.ndarray,
    database_ids: np.ndarray,
) -> np.ndarray:
    """Mean of `values` [N] or [N, T] over each query's k most cosine-similar database rows,
    leaving out every row of the query's own object (`database_ids == query_ids[i]`), so an
    object's pair, or a duplicate of it in a bootstrap resample, never predicts it. Exact
    (torch, blocked); [Q] or [Q, T]."""
    q, db = torch.from_numpy(normalize(queries)), torch.from_numpy(normalize(database))
    qid, dbid = torch.as_tensor(np.asarray(query_ids)), torch.as_tensor(np.asarray(database_ids))
    table = np.asarray(values, dtype=np.float64)
    take = min(k, len(db) - _most_own_rows(np.asarray(query_ids), np.asarray(database_ids)))
    if take < 1:
        raise ValueError("neighbour means need at least two distinct objects")
    means = []
    for start in range(0, len(q), BLOCK_QUERIES):
        sims = q[start : start + BLOCK_QUERIES] @ db.T  # [q, N]
        own = qid[start : start + BLOCK_QUERIES, None] == dbid[None, :]  # [q, N]
        sims = sims.masked_fill(own, -torch.inf)
        ids = sims.topk(take, dim=1).indices.numpy()  # [q, k]
        means.append(table[ids].mean(axis=1))
    return np.concatenate(means)
