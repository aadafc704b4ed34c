"""Vote metrics and the Dirichlet-multinomial loss against independent computations (scipy's
dirichlet_multinomial, question by question), zero-vote questions included."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import dirichlet_multinomial
from sklearn.metrics import accuracy_score, f1_score

from astrobench.metrics import votes
from astrobench.models.vote_head import DirichletMultinomialLoss, concentrations_from_outputs
from astrobench.registry import VOTE_SCHEMAS

SCHEMA = VOTE_SCHEMAS.get("gz-decals-5")


def _random_case(seed: int, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Counts with whole questions left unasked (zero votes), and concentrations in (0.2, 30)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 25, (n, SCHEMA.n_answers))
    for row in range(n):
        for question in rng.choice(SCHEMA.questions, size=4, replace=False):
            counts[row, SCHEMA.slices[question.name]] = 0
    concentrations = rng.uniform(0.2, 30.0, (n, SCHEMA.n_answers))
    return counts, concentrations


def _scipy_log_likelihood(counts: np.ndarray, concentrations: np.ndarray) -> np.ndarray:
    out = np.zeros((counts.shape[0], len(SCHEMA.questions)))
    for row in range(counts.shape[0]):
        for q, question in enumerate(SCHEMA.questions):
            k = counts[row, SCHEMA.slices[question.name]]
            a = concentrations[row, SCHEMA.slices[question.name]]
            if k.sum() > 0:  # nobody asked: no term at all
                out[row, q] = dirichlet_multinomial.logpmf(k, a, k.sum())
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_likelihood_matches_scipy_question_by_question(seed: int) -> None:
    counts, concentrations = _random_case(seed)
    ours = votes.dirichlet_multinomial_log_likelihood(counts, concentrations, SCHEMA)
    expected = _scipy_log_likelihood(counts, concentrations)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)
    unasked = SCHEMA.answered(counts) == 0
    assert unasked.sum() >= 6 and np.all(ours[unasked] == 0.0)


def test_torch_loss_is_minus_the_mean_summed_log_likelihood() -> None:
    counts, _ = _random_case(4)
    outputs = torch.randn(counts.shape[0], SCHEMA.n_answers, dtype=torch.float64) * 2
    loss = DirichletMultinomialLoss(SCHEMA)(outputs, torch.from_numpy(counts))
    concentrations = concentrations_from_outputs(outputs).double().numpy()
    expected = -_scipy_log_likelihood(counts, concentrations).sum(axis=1).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_answers_of_unasked_questions_get_no_gradient() -> None:
    counts, _ = _random_case(5)
    outputs = torch.randn(counts.shape[0], SCHEMA.n_answers, requires_grad=True)
    DirichletMultinomialLoss(SCHEMA)(outputs, torch.from_numpy(counts)).backward()
    assert outputs.grad is not None
    for q, question in enumerate(SCHEMA.questions):
        rows = SCHEMA.answered(counts)[:, q] == 0
        grad = outputs.grad[torch.from_numpy(rows)][:, SCHEMA.slices[question.name]]
        assert torch.all(grad == 0)
    assert outputs.grad.abs().sum() > 0


def test_predicted_fractions_are_normalised_concentrations() -> None:
    _, concentrations = _random_case(6)
    fractions = votes.fractions_from_concentrations(concentrations, SCHEMA)
    for question in SCHEMA.questions:
        part = SCHEMA.slices[question.name]
        a = concentrations[:, part]
        np.testing.assert_allclose(fractions[:, part], a / a.sum(axis=1, keepdims=True))


def _smooth_case() -> tuple[np.ndarray, np.ndarray]:
    """Five galaxies; only smooth-or-featured and how-rounded carry votes."""
    counts = np.zeros((5, SCHEMA.n_answers), dtype=np.int64)
    root = SCHEMA.slices["smooth-or-featured"]
    rounded = SCHEMA.slices["how-rounded"]
    counts[:, root] = [[30, 8, 2], [5, 33, 2], [20, 18, 2], [10, 5, 0], [36, 0, 0]]
    counts[:, rounded] = [[20, 8, 2], [3, 2, 0], [15, 3, 2], [6, 2, 2], [1, 30, 5]]
    predicted = np.full((5, SCHEMA.n_answers), 1.0 / 3)
    predicted[:, root] = [[0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.1, 0.8, 0.1],
                          [0.9, 0.05, 0.05]]  # fmt: skip
    predicted[:, rounded] = [[0.5, 0.4, 0.1]] * 5
    return counts, predicted


def test_derived_morphology_filters_and_scores_as_seed_003() -> None:
    counts, predicted = _smooth_case()
    scores = votes.derived_morphology(counts, predicted, SCHEMA)
    # galaxy 3 has 15 volunteers (< 34): out. Root truths 0, 1, 0, -, 0 vs predictions 0, 0, 1, -, 0
    assert scores["smooth-or-featured"]["n"] == 4
    assert scores["smooth-or-featured"]["accuracy"] == pytest.approx(0.5)
    y_true, y_pred = [0, 1, 0, 0], [0, 0, 1, 0]
    assert scores["smooth-or-featured"]["f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="weighted", labels=[0, 1, 2], zero_division=0)
    )
    # how-rounded: galaxy 1 was asked by 5 of 40 (< half): out; 0, 2, 4 remain (3 is < 34 votes)
    assert scores["how-rounded"]["n"] == 3
    assert scores["how-rounded"]["accuracy"] == pytest.approx(accuracy_score([0, 0, 1], [0, 0, 0]))
    assert scores["bar"]["n"] == 0 and np.isnan(scores["bar"]["accuracy"])


def test_vote_metrics_flat_keys_and_means() -> None:
    counts, predicted = _smooth_case()
    metrics = votes.vote_metrics(counts, predicted * 10, SCHEMA)
    assert metrics["smooth-or-featured/accuracy"] == pytest.approx(0.5)
    assert metrics["mean_accuracy"] == pytest.approx((0.5 + 2 / 3) / 2)
    observed = votes.observed_fractions(counts, SCHEMA)
    assert np.isnan(observed[0, SCHEMA.slices["bar"]]).all()
    assert metrics["fraction_mae"] == pytest.approx(np.nanmean(np.abs(predicted - observed)))
    assert metrics["nll"] > 0


def test_observed_fractions_of_one_and_two_votes_and_none_without_warnings() -> None:
    import warnings

    counts = np.zeros((3, SCHEMA.n_answers))
    counts[0, 0] = 1.0  # one volunteer answered the first question
    counts[1, 0] = counts[1, 2] = 1.0  # two volunteers, split
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 of unasked questions is silenced, not warned
        got = votes.observed_fractions(counts, SCHEMA)
    np.testing.assert_array_equal(got[0, :3], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(got[1, :3], [0.5, 0.0, 0.5])
    assert np.isnan(got[2]).all() and np.isnan(got[0, 3:]).all()


def test_evaluable_boundaries_are_inclusive_and_need_an_answer() -> None:
    import warnings

    counts = np.zeros((3, SCHEMA.n_answers))
    counts[0, 0] = 3.0  # exactly min_votes volunteers, all answered
    counts[1, 0] = 2.0  # one volunteer short
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keep = votes.evaluable(counts, SCHEMA, min_votes=3, min_asked_fraction=1.0)
    assert keep[0, 0] and not keep[1, 0] and not keep[2].any()
    assert not keep[0, 1:].any()  # asked by nobody: never evaluable, even at min_votes 0
    lenient = votes.evaluable(counts, SCHEMA, min_votes=0, min_asked_fraction=0.0)
    assert lenient[0, 0] and lenient[1, 0] and not lenient[2].any()
