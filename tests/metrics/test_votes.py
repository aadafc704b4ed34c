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


def test_derived_morphology_and_vote_metrics_pass_on_the_asked_fraction() -> None:
    counts, predicted = _smooth_case()
    # how-rounded: galaxy 1 (5 of 40 asked) is out at the default half, in at a share of 0.1
    assert votes.derived_morphology(counts, predicted, SCHEMA)["how-rounded"]["n"] == 3
    lenient = votes.derived_morphology(counts, predicted, SCHEMA, min_asked_fraction=0.1)
    assert lenient["how-rounded"]["n"] == 4
    metrics = votes.vote_metrics(counts, predicted * 10, SCHEMA, min_asked_fraction=0.1)
    assert metrics["how-rounded/n"] == 4
    # galaxy 1's rounded truth is 0 ("round"), predicted 0: accuracy 3 of 4
    expected = accuracy_score([0, 0, 0, 1], [0, 0, 0, 0])
    assert metrics["how-rounded/accuracy"] == pytest.approx(expected)


def test_unscored_question_has_nan_scores_under_the_same_keys() -> None:
    counts, predicted = _smooth_case()
    bar = votes.derived_morphology(counts, predicted, SCHEMA)["bar"]
    assert set(bar) == {"accuracy", "f1", "n"}
    assert np.isnan(bar["accuracy"]) and np.isnan(bar["f1"]) and bar["n"] == 0.0


def test_vote_metrics_mean_f1_is_the_mean_over_scored_questions() -> None:
    counts, predicted = _smooth_case()
    metrics = votes.vote_metrics(counts, predicted * 10, SCHEMA)
    f1s = [metrics["smooth-or-featured/f1"], metrics["how-rounded/f1"]]
    assert metrics["mean_f1"] == pytest.approx(np.mean(f1s))
    assert metrics["how-rounded/f1"] == pytest.approx(
        f1_score([0, 0, 1], [0, 0, 0], average="weighted", labels=[0, 1, 2], zero_division=0)
    )


def test_vote_metrics_count_a_question_scored_on_one_galaxy() -> None:
    counts, predicted = _smooth_case()
    counts, predicted = counts[:1], predicted[:1]  # galaxy 0 alone: both questions, n = 1
    metrics = votes.vote_metrics(counts, predicted * 10, SCHEMA)
    assert metrics["smooth-or-featured/n"] == 1 and metrics["how-rounded/n"] == 1
    assert metrics["mean_accuracy"] == pytest.approx(1.0)  # 0 == 0 on both
    assert metrics["mean_f1"] == pytest.approx(1.0)


def test_vote_metrics_with_nothing_scored_report_zero_means_without_warnings() -> None:
    import warnings

    counts, predicted = _smooth_case()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty list
        metrics = votes.vote_metrics(counts, predicted * 10, SCHEMA, min_votes=1000)
    assert metrics["mean_accuracy"] == 0.0 and metrics["mean_f1"] == 0.0
    assert not any(key.endswith("/accuracy") for key in metrics)


def test_evaluable_with_one_volunteer_who_answered() -> None:
    counts = np.zeros((1, SCHEMA.n_answers))
    counts[0, 0] = 1.0
    keep = votes.evaluable(counts, SCHEMA, min_votes=1, min_asked_fraction=0.5)
    assert keep[0, 0] and not keep[0, 1:].any()


def test_evaluable_refuses_votes_below_an_empty_root_without_warnings() -> None:
    """Inconsistent counts (a follow-up answered, nobody at the root) are never evaluable."""
    import warnings

    counts = np.zeros((1, SCHEMA.n_answers))
    counts[0, SCHEMA.slices["how-rounded"]] = [3.0, 1.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keep = votes.evaluable(counts, SCHEMA, min_votes=0, min_asked_fraction=0.5)
    assert not keep.any()


def test_log_likelihood_of_compact_integer_counts_and_float32_concentrations() -> None:
    """Counts stored as uint8 (255 votes must not wrap at k + 1) and float32 model outputs give
    the float64 result."""
    counts, concentrations = _random_case(7)
    counts[0, 0] = 255
    expected = _scipy_log_likelihood(counts, concentrations.astype(np.float32).astype(np.float64))
    got = votes.dirichlet_multinomial_log_likelihood(
        counts.astype(np.uint8), concentrations.astype(np.float32), SCHEMA
    )
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_predicted_fractions_of_float32_concentrations_are_float64_exact() -> None:
    _, concentrations = _random_case(8)
    a32 = concentrations.astype(np.float32)
    fractions = votes.fractions_from_concentrations(a32, SCHEMA)
    a = a32.astype(np.float64)
    for question in SCHEMA.questions:
        part = SCHEMA.slices[question.name]
        np.testing.assert_allclose(
            fractions[:, part], a[:, part] / a[:, part].sum(axis=1, keepdims=True), rtol=1e-14
        )
