"""Retrieval metrics against brute force: neighbours, pair ranks, recall@k, neighbour agreement."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from astrobench.metrics import retrieval
from astrobench.metrics.retrieval import (
    cross_modal_recall,
    neighbour_means,
    neighbour_property_agreement,
    pair_ranks,
    search,
)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def test_search_returns_the_brute_force_neighbours() -> None:
    rng = np.random.default_rng(0)
    q, db = rng.normal(size=(7, 4)), rng.normal(size=(40, 4)) * rng.uniform(0.1, 5, (40, 1))
    ids, sims = search(q, db, k=5)
    sim = _cosine(q, db)
    for i in range(7):
        expected = np.argsort(-sim[i], kind="stable")[:5]
        assert list(ids[i]) == list(expected)
        np.testing.assert_allclose(sims[i], sim[i, expected], rtol=1e-5)


def test_in_modal_search_leaves_the_query_out() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 3))
    ids, _ = search(x, x, k=4, exclude_self=True)
    sim = _cosine(x, x)
    np.fill_diagonal(sim, -np.inf)
    for i in range(20):
        assert i not in ids[i]
        assert list(ids[i]) == list(np.argsort(-sim[i], kind="stable")[:4])


def test_blocked_torch_search_matches_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    q, db = rng.normal(size=(9, 3)), rng.normal(size=(15, 3))
    whole = search(q, db, 3)
    monkeypatch.setattr(retrieval, "BLOCK_QUERIES", 2)
    blocked = search(q, db, 3)
    np.testing.assert_array_equal(whole[0], blocked[0])


def test_pair_ranks_and_recall_match_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(30, 6))
    b = a + rng.normal(scale=1.0, size=a.shape)  # noisy pairs: ranks spread over 1..30
    sim = _cosine(a, b)
    expected = np.array([1 + int((sim[i] > sim[i, i]).sum()) for i in range(30)])
    monkeypatch.setattr(retrieval, "BLOCK_QUERIES", 7)
    ranks = pair_ranks(a, b)
    np.testing.assert_array_equal(ranks, expected)
    assert len(set(ranks.tolist())) > 3
    metrics = cross_modal_recall(a, b, ks=(1, 5))
    assert metrics["recall@1"] == pytest.approx(np.mean(expected == 1))
    assert metrics["recall@5"] == pytest.approx(np.mean(expected <= 5))
    assert metrics["median_rank"] == pytest.approx(np.median(expected))
    assert metrics["chance_recall@5"] == pytest.approx(5 / 30)


def test_recall_is_one_for_identical_pairs_and_direction_matters() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(12, 5))
    assert cross_modal_recall(a, a)["recall@1"] == 1.0
    b = rng.normal(size=(12, 5))
    assert not np.array_equal(pair_ranks(a, b), pair_ranks(b, a))


def test_neighbour_agreement_is_the_score_of_the_neighbour_mean() -> None:
    rng = np.random.default_rng(5)
    z = rng.uniform(0.05, 0.6, 50)
    emb = np.stack([np.cos(3 * z), np.sin(3 * z)], axis=1) + rng.normal(0, 0.02, (50, 2))
    got = neighbour_property_agreement(emb, emb, z, z, k=3, exclude_self=True, redshift=True)
    sim = _cosine(emb, emb)
    np.fill_diagonal(sim, -np.inf)
    pred = np.array([z[np.argsort(-sim[i], kind="stable")[:3]].mean() for i in range(50)])
    r2 = 1 - ((z - pred) ** 2).sum() / ((z - z.mean()) ** 2).sum()
    dz = (pred - z) / (1 + z)
    nmad = 1.4826 * np.median(np.abs(dz - np.median(dz)))
    assert got["r2"] == pytest.approx(r2) and got["sigma_nmad"] == pytest.approx(nmad)
    assert got["r2"] > 0.9  # the embedding follows z, so neighbours agree


class _FakeFlatIP:
    """faiss.IndexFlatIP's interface (add, search) in NumPy, strict about what faiss requires."""

    def __init__(self, d: int) -> None:
        assert isinstance(d, int) and d > 0
        self.d, self.rows = d, np.zeros((0, d), dtype=np.float32)

    def add(self, x: np.ndarray) -> None:
        assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == self.d
        self.rows = np.concatenate([self.rows, x])

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        assert x.dtype == np.float32 and x.shape[1] == self.d and isinstance(k, int)
        sim = x @ self.rows.T  # [Q, N]
        ids = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sim, ids, axis=1), ids.astype(np.int64)


def test_faiss_path_gives_the_brute_force_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("faiss")
    module.IndexFlatIP = _FakeFlatIP  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "faiss", module)
    monkeypatch.setattr(retrieval, "_torch_search", None)  # the faiss path must answer alone
    rng = np.random.default_rng(6)
    q, db = rng.normal(size=(6, 4)), rng.normal(size=(25, 4))
    ids, sims = search(q, db, k=3)
    sim = _cosine(q, db)
    expected = np.argsort(-sim, axis=1, kind="stable")[:, :3]
    np.testing.assert_array_equal(ids, expected)
    assert ids.dtype == np.int64
    np.testing.assert_allclose(sims, np.take_along_axis(sim, expected, axis=1), rtol=1e-5)
    ids, _ = search(q, q, k=2, exclude_self=True)
    assert ids.shape == (6, 2) and not (ids == np.arange(6)[:, None]).any()


def test_mixed_precision_inputs_are_searched_in_float32() -> None:
    rng = np.random.default_rng(7)
    q, db = rng.normal(size=(5, 3)), rng.normal(size=(12, 3)).astype(np.float32)
    assert retrieval.normalize(q).dtype == np.float32
    ids, _ = search(q, db, k=2)  # float64 queries against a float32 database
    expected = np.argsort(-_cosine(q, db.astype(np.float64)), axis=1, kind="stable")[:, :2]
    np.testing.assert_array_equal(ids, expected)


def test_self_lost_among_ties_drops_one_tied_neighbour_instead() -> None:
    x = np.tile([[1.0, 2.0]], (4, 1))  # four identical rows: every similarity ties at 1
    ids, sims = search(x, x, k=2, exclude_self=True)
    # every query gets the same top 3 of the tie, so one query does not retrieve itself
    assert ids.shape == (4, 2) and not (ids == np.arange(4)[:, None]).any()
    assert all(len(set(row.tolist())) == 2 for row in ids)
    np.testing.assert_allclose(sims, 1.0, rtol=1e-6)


def test_ranks_are_integers_and_chance_recall_is_capped_at_one() -> None:
    rng = np.random.default_rng(8)
    a = rng.normal(size=(4, 3))
    assert pair_ranks(a, a).dtype == np.int64
    metrics = cross_modal_recall(a, a, ks=(1, 10))
    assert metrics["chance_recall@1"] == pytest.approx(0.25)
    assert metrics["chance_recall@10"] == 1.0


def test_neighbour_agreement_defaults_and_float64_means() -> None:
    rng = np.random.default_rng(9)
    emb = rng.normal(size=(40, 3))
    values = (1000.0 + rng.normal(size=40)).astype(np.float32)  # float32 means lose ~1e-4
    got = neighbour_property_agreement(emb, emb, values, values)  # k=16, self kept, no σ_NMAD
    assert set(got) == {"r2"}
    sim = _cosine(emb, emb)
    ids = np.argsort(-sim, axis=1, kind="stable")[:, :16]
    truth = values.astype(np.float64)
    pred = truth[ids].mean(axis=1)
    r2 = 1 - ((truth - pred) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert got["r2"] == pytest.approx(r2, rel=1e-9, abs=1e-9)


def test_neighbour_means_take_at_most_the_other_objects_in_float64() -> None:
    rng = np.random.default_rng(10)
    emb = rng.normal(size=(4, 3))
    values = (1000.0 + rng.normal(size=4)).astype(np.float32)
    ids = np.arange(4)
    got = neighbour_means(emb, emb, values, 10, ids, ids)  # k > N - 1: the three others
    others = values.astype(np.float64)
    expected = [(others.sum() - others[i]) / 3 for i in range(4)]
    np.testing.assert_allclose(got, expected, rtol=1e-15)  # a float32 mean is off by ~1e-5
    two = neighbour_means(emb[:2], emb[:2], values[:2], 5, ids[:2], ids[:2])
    np.testing.assert_array_equal(two, others[[1, 0]])
    with pytest.raises(ValueError, match=r"^neighbour means need at least two distinct objects$"):
        neighbour_means(emb[:1], emb[:1], values[:1], 5, ids[:1], ids[:1])


def test_neighbour_means_never_average_a_querys_own_rows() -> None:
    """Duplicated rows of an object (a bootstrap resample) are all left out of its neighbours,
    and rows of one object alone are refused rather than averaged."""
    rng = np.random.default_rng(11)
    emb = rng.normal(size=(5, 3))
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    ids = np.array([7, 7, 7, 8, 9])  # object 7 three times
    got = neighbour_means(emb, emb, values, 4, ids, ids)
    # object 7 has only 2 other rows: every query takes k = 5 - 3 = 2 neighbours, none its own
    assert got[0] == got[1] == got[2] == pytest.approx(15.0)
    with pytest.raises(ValueError, match="at least two distinct objects"):
        neighbour_means(emb[:3], emb[:3], values[:3], 4, ids[:3], ids[:3])


def test_neighbour_means_of_queries_outside_the_database_may_use_every_row() -> None:
    """Queries of other objects than the database's (no own rows to leave out): k = N takes
    the mean of the whole database."""
    rng = np.random.default_rng(9)
    database = rng.normal(size=(5, 3))
    queries = rng.normal(size=(2, 3))
    values = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    means = retrieval.neighbour_means(
        queries, database, values, 5, np.array([100, 101]), np.arange(5)
    )
    np.testing.assert_allclose(means, [4.0, 4.0])
