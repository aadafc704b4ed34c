"""The retrieval task scores an encoder pair from stored embeddings: recall@k and median rank
against an independent computation, chance with the right N, neighbour agreement without the
query's own object (also in bootstrap resamples), and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from astrobench.errors import ConfigError
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.retrieval import NEIGHBOURS, RetrievalTask


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _independent_ranks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1-based rank of row i of b among all rows of b for query a_i (ties in its favour)."""
    sims = _unit(a) @ _unit(b).T  # [n, n]
    own = np.diag(sims)
    return 1 + (sims > own[:, None] + 1e-7).sum(axis=1)


def _pair(n: int = 40, dim: int = 8, noise: float = 0.8, seed: int = 0) -> Predictions:
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(n, dim))
    spectrum = image + noise * rng.normal(size=(n, dim))  # pair i is row i, noisily
    z = rng.uniform(0.0, 0.5, n)
    extra = {"image": image.astype(np.float32), "spectrum": spectrum.astype(np.float32)}
    indices = np.arange(100, 100 + n)
    return Predictions(z, z, indices=indices, extra=extra)


def test_recall_and_median_rank_match_an_independent_computation() -> None:
    predictions = _pair()
    scores = RetrievalTask(("redshift",)).score(predictions)
    image, spectrum = predictions.extra["image"], predictions.extra["spectrum"]
    forward, backward = _independent_ranks(image, spectrum), _independent_ranks(spectrum, image)
    for k in (1, 5, 10):
        assert scores[f"image_to_spectrum/recall@{k}"] == pytest.approx(np.mean(forward <= k))
        assert scores[f"spectrum_to_image/recall@{k}"] == pytest.approx(np.mean(backward <= k))
        assert scores[f"chance/recall@{k}"] == pytest.approx(k / 40)  # N = the test objects
    assert scores["image_to_spectrum/median_rank"] == pytest.approx(np.median(forward))
    assert 0.1 < scores["image_to_spectrum/recall@1"] < 0.9  # neither trivial nor hopeless


def test_a_shuffled_database_falls_to_chance_and_the_true_pairing_does_not() -> None:
    predictions = _pair(n=200, noise=0.3)
    aligned = RetrievalTask(("redshift",)).score(predictions)
    order = np.random.default_rng(1).permutation(200)
    shuffled = Predictions(
        predictions.y_true,
        predictions.y_pred,
        indices=predictions.indices,
        extra={
            "image": predictions.extra["image"],
            "spectrum": predictions.extra["spectrum"][order],
        },
    )
    wrong = RetrievalTask(("redshift",)).score(shuffled)
    assert aligned["image_to_spectrum/recall@10"] > 0.9
    assert wrong["image_to_spectrum/recall@10"] < 0.2  # chance: 10 / 200 = 0.05


def _independent_neighbour_mean(
    query: np.ndarray, base: np.ndarray, values: np.ndarray
) -> np.ndarray:
    sims = _unit(query) @ _unit(base).T
    np.fill_diagonal(sims, -np.inf)  # the query's own object never predicts it
    nearest = np.argsort(-sims, axis=1)[:, :NEIGHBOURS]
    return values[nearest].mean(axis=1)


def test_neighbour_agreement_leaves_the_query_object_out() -> None:
    rng = np.random.default_rng(2)
    n = 60
    embedding = rng.normal(size=(n, 6)).astype(np.float32)
    z = rng.uniform(0, 1, n)  # unrelated to the embedding: no neighbour can know it
    same = {"image": embedding, "spectrum": embedding.copy()}  # pair i is identical to query i
    scores = RetrievalTask(("redshift",)).score(Predictions(z, z, indices=np.arange(n), extra=same))
    expected = _independent_neighbour_mean(embedding, embedding, z)
    ss_res, ss_tot = np.sum((z - expected) ** 2), np.sum((z - z.mean()) ** 2)
    assert scores["image_to_spectrum/redshift_r2"] == pytest.approx(1 - ss_res / ss_tot)
    assert scores["image_to_spectrum/redshift_r2"] < 0.2  # with its own pair counted it would leak
    assert scores["image_to_image/redshift_r2"] == pytest.approx(1 - ss_res / ss_tot)
    assert "image_to_spectrum/redshift_sigma_nmad" in scores


def test_a_bootstrap_resample_never_lets_a_duplicate_predict_its_original() -> None:
    rng = np.random.default_rng(3)
    n = 50
    embedding = rng.normal(size=(n, 6)).astype(np.float32)
    z = rng.uniform(0, 1, n)
    predictions = Predictions(
        z, z, indices=np.arange(n), extra={"image": embedding, "spectrum": embedding.copy()}
    )
    doubled = predictions.take(np.concatenate([np.arange(n), np.arange(n)]))
    scores = RetrievalTask(("redshift",)).score(doubled)
    assert scores["image_to_spectrum/redshift_r2"] < 0.3  # duplicates of itself are left out
    assert scores["image_to_spectrum/recall@1"] == 1.0  # a tie with its duplicate is in its favour
    assert scores["chance/recall@1"] == pytest.approx(1 / (2 * n))


def test_several_columns_each_get_their_agreement_and_lower_is_better_is_known() -> None:
    predictions = _pair()
    two = Predictions(
        np.stack([predictions.y_true, predictions.y_true * 2], 1),
        np.stack([predictions.y_true, predictions.y_true * 2], 1),
        indices=predictions.indices,
        extra=predictions.extra,
    )
    task = RetrievalTask(("redshift", "log_ssfr"))
    scores = task.score(two)
    assert {"spectrum_to_spectrum/log_ssfr_r2", "spectrum_to_image/redshift_sigma_nmad"} <= set(
        scores
    )
    assert "spectrum_to_image/log_ssfr_sigma_nmad" not in scores
    assert not task.metric_higher_is_better("image_to_spectrum/median_rank")
    assert not task.metric_higher_is_better("image_to_spectrum/redshift_sigma_nmad")
    assert task.metric_higher_is_better("image_to_spectrum/recall@10")


def test_predictions_without_embeddings_are_refused() -> None:
    z = np.linspace(0, 1, 5)
    with pytest.raises(ConfigError, match="no image embeddings"):
        RetrievalTask(("redshift",)).score(Predictions(z, z))


def _independent_scores_with_ids(
    embedding: np.ndarray, z: np.ndarray, ids: np.ndarray
) -> tuple[float, float]:
    """R² and σ_NMAD of each row's z against the mean over its 16 most similar rows of other
    objects (every copy of its own object left out)."""
    sims = _unit(embedding) @ _unit(embedding).T
    sims[ids[:, None] == ids[None, :]] = -np.inf
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :NEIGHBOURS]
    guess = z[nearest].mean(axis=1)
    r2 = 1 - np.sum((z - guess) ** 2) / np.sum((z - z.mean()) ** 2)
    dz = (guess - z) / (1 + z)
    return float(r2), float(1.4826 * np.median(np.abs(dz - np.median(dz))))


def test_bootstrap_duplicates_are_one_object_and_sigma_nmad_is_scored() -> None:
    rng = np.random.default_rng(4)
    n = 30
    embedding = rng.normal(size=(n, 4)).astype(np.float32)
    z = np.abs(embedding[:, 0]).astype(np.float64) * 0.3  # neighbours do know it
    picks = np.concatenate([np.arange(n), rng.integers(0, n, 20)])  # 20 duplicated rows
    resample = Predictions(
        z, z, indices=np.arange(n) + 500, extra={"image": embedding, "spectrum": embedding.copy()}
    ).take(picks)
    scores = RetrievalTask(("redshift",)).score(resample)
    r2, nmad = _independent_scores_with_ids(embedding[picks], z[picks], picks)
    assert scores["image_to_spectrum/redshift_r2"] == pytest.approx(r2, rel=1e-9)
    assert scores["image_to_spectrum/redshift_sigma_nmad"] == pytest.approx(nmad, rel=1e-9)
    assert nmad > 0


def test_without_indices_every_row_is_its_own_object_and_chance_is_capped_at_one() -> None:
    predictions = _pair(n=6)
    plain = Predictions(predictions.y_true, predictions.y_pred, extra=predictions.extra)
    assert plain.indices is None
    scores = RetrievalTask(("redshift",)).score(plain)
    assert scores == RetrievalTask(("redshift",)).score(predictions)
    assert scores["chance/recall@1"] == pytest.approx(1 / 6)
    assert scores["chance/recall@5"] == pytest.approx(5 / 6)
    assert scores["chance/recall@10"] == 1.0  # not 10 / 6


def test_the_refusal_says_where_retrieval_predictions_come_from() -> None:
    z = np.linspace(0, 1, 5)
    only_images = Predictions(z, z, extra={"image": np.ones((5, 3), np.float32)})
    with pytest.raises(ConfigError, match="no spectrum embeddings") as error:
        RetrievalTask(("redshift",)).score(only_images)
    assert error.value.one_line() == (
        "these predictions hold no spectrum embeddings to score retrieval with "
        "(hint: retrieval predictions come from protocol `retrieval`)"
    )


def test_comparison_figures_recall_and_agreement_of_the_first_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from astrobench.report import retrieval_figures

    calls: list[tuple[str, object]] = []

    def recall(scored: object, ks: tuple[int, ...], title: str) -> bytes:
        calls.append(("recall", (scored, ks, title)))
        return b"recall"

    def agreement(scored: object, column: str, title: str) -> bytes:
        calls.append(("agreement", (scored, column, title)))
        return b"agreement"

    monkeypatch.setattr(retrieval_figures, "recall_bars", recall)
    monkeypatch.setattr(retrieval_figures, "agreement_bars", agreement)
    task = RetrievalTask(("log_mass", "redshift"))
    scored = {"a": {"image_to_spectrum/recall@1": 0.5}}
    first, second = task.compare_figures(scored, "desi")
    recall_caption = (
        "desi: cross-modal recall@k of each encoder pair (image→spectrum solid, "
        "spectrum→image hatched) against chance (k / N, grey)"
    )
    agreement_caption = (
        "desi: R² of each test object's log_mass against the mean of its 16 nearest "
        "neighbours (its own object left out), per search direction"
    )
    assert (first.caption, first.png, first.slug) == (recall_caption, b"recall", "recall_desi")
    assert (second.caption, second.png, second.slug) == (
        agreement_caption, b"agreement", "agreement_desi"
    )  # fmt: skip
    assert calls == [
        ("recall", (scored, (1, 5, 10), recall_caption)),
        ("agreement", (scored, "log_mass", agreement_caption)),
    ]
    with pytest.raises(ConfigError, match=r"^retrieval tasks choose nothing on validation rows$"):
        task.selection_score(np.zeros(3), np.zeros(3))
