"""Galaxy Zoo vote metrics: the Dirichlet-multinomial likelihood of vote counts, predicted vote
fractions, and the derived morphology classification of seed 003 (§4.2.3, §6.5, Table E1).

For one question with answers i = 1..K, counts k_i (N = sum k_i volunteers answered) and
predicted Dirichlet concentrations a_i (A = sum a_i), the Dirichlet-multinomial likelihood is

    log p(k | a) = log G(N + 1) - sum_i log G(k_i + 1)
                   + log G(A) - log G(N + A) + sum_i [log G(k_i + a_i) - log G(a_i)]

(G the gamma function). A galaxy's log-likelihood is the sum over questions; a question nobody
was asked (N = 0) contributes exactly log G(1) + log G(A) - log G(A) = 0, so the tree's branching
needs no mask. The predicted vote fractions are the concentrations normalised per question (the
Dirichlet mean).

Derived morphology (seed 003): per question, the true class is the answer most volunteers gave
and the predicted class the answer with the highest predicted fraction; a galaxy counts for a
question when at least `min_votes` volunteers classified it (34, Walmsley et al. 2022) and at
least `min_asked_fraction` of them were asked that question (0.5). Accuracy and the
support-weighted F1 are reported per question, as in Table E1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaln

from astrobench.metrics.classification import accuracy, f1_weighted

if TYPE_CHECKING:
    from astrobench.data.votes.schema import VoteSchema

MIN_VOTES = 34
MIN_ASKED_FRACTION = 0.5


def membership(schema: VoteSchema) -> np.ndarray:
    """[A, Q] one-hot matrix: answer a belongs to question q."""
    matrix = np.zeros((schema.n_answers, len(schema.questions)))
    for q, question in enumerate(schema.questions):
        matrix[schema.slices[question.name], q] = 1.0
    return matrix


def dirichlet_multinomial_log_likelihood(
    counts: np.ndarray, concentrations: np.ndarray, schema: VoteSchema
) -> np.ndarray:
    """Per-galaxy, per-question log-likelihood [n, Q] of counts [n, A] under concentrations
    [n, A] (> 0)."""
    k = np.asarray(counts, dtype=np.float64)  # [n, A]
    a = np.asarray(concentrations, dtype=np.float64)  # [n, A]
    m = membership(schema)  # [A, Q]
    n_q, a_q = k @ m, a @ m  # [n, Q]
    per_answer = gammaln(k + a) - gammaln(a) - gammaln(k + 1)  # [n, A]
    return gammaln(n_q + 1) + gammaln(a_q) - gammaln(n_q + a_q) + per_answer @ m  # [n, Q]


def fractions_from_concentrations(concentrations: np.ndarray, schema: VoteSchema) -> np.ndarray:
    """Predicted vote fractions [n, A]: concentrations normalised within each question."""
    a = np.asarray(concentrations, dtype=np.float64)
    m = membership(schema)
    return a / ((a @ m) @ m.T)


def observed_fractions(counts: np.ndarray, schema: VoteSchema) -> np.ndarray:
    """Volunteers' vote fractions [n, A]; NaN for the answers of a question nobody answered."""
    k = np.asarray(counts, dtype=np.float64)
    m = membership(schema)
    totals = (k @ m) @ m.T  # [n, A] the question's total beside each answer
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, k / totals, np.nan)


def evaluable(
    counts: np.ndarray,
    schema: VoteSchema,
    min_votes: int = MIN_VOTES,
    min_asked_fraction: float = MIN_ASKED_FRACTION,
) -> np.ndarray:
    """[n, Q] True where a galaxy counts for a question: >= `min_votes` volunteers classified it
    and >= `min_asked_fraction` of them answered the question."""
    asked = schema.answered(counts).astype(np.float64)  # [n, Q]
    volunteers = schema.asked(counts)[:, :1].astype(np.float64)  # [n, 1] at the root
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(volunteers > 0, asked / volunteers, 0.0)
    return (volunteers >= min_votes) & (share >= min_asked_fraction) & (asked > 0)


def derived_morphology(
    counts: np.ndarray,
    predicted_fractions: np.ndarray,
    schema: VoteSchema,
    min_votes: int = MIN_VOTES,
    min_asked_fraction: float = MIN_ASKED_FRACTION,
) -> dict[str, dict[str, float]]:
    """Per question: accuracy, support-weighted F1 and the number of galaxies scored (seed 003
    Table E1). A question with no evaluable galaxy gets NaN scores and n = 0."""
    counts = np.asarray(counts)
    predicted = np.asarray(predicted_fractions, dtype=np.float64)
    keep = evaluable(counts, schema, min_votes, min_asked_fraction)  # [n, Q]
    out: dict[str, dict[str, float]] = {}
    for q, question in enumerate(schema.questions):
        rows = keep[:, q]
        part = schema.slices[question.name]
        if not rows.any():
            out[question.name] = {"accuracy": float("nan"), "f1": float("nan"), "n": 0.0}
            continue
        y_true = counts[rows, part].argmax(axis=1)
        y_pred = predicted[rows, part].argmax(axis=1)
        labels = np.arange(len(question.answers))
        out[question.name] = {
            "accuracy": accuracy(y_true, y_pred),
            "f1": f1_weighted(y_true, y_pred, labels),
            "n": float(rows.sum()),
        }
    return out


def vote_metrics(
    counts: np.ndarray,
    concentrations: np.ndarray,
    schema: VoteSchema,
    min_votes: int = MIN_VOTES,
    min_asked_fraction: float = MIN_ASKED_FRACTION,
) -> dict[str, float]:
    """Every vote metric as flat keys: `nll` (mean negative log-likelihood per galaxy, summed
    over questions), `fraction_mae` (mean |predicted - observed| over answered questions),
    `<question>/accuracy`, `<question>/f1`, `<question>/n` (accuracy and F1 left out where no
    galaxy could be scored), and their means over the scored questions."""
    counts = np.asarray(counts)
    ll = dirichlet_multinomial_log_likelihood(counts, concentrations, schema)  # [n, Q]
    predicted = fractions_from_concentrations(concentrations, schema)
    observed = observed_fractions(counts, schema)
    metrics: dict[str, float] = {
        "nll": float(-ll.sum(axis=1).mean()),
        "fraction_mae": float(np.nanmean(np.abs(predicted - observed))),
    }
    per_question = derived_morphology(counts, predicted, schema, min_votes, min_asked_fraction)
    for name, scores in per_question.items():  # an unscored question has only its n = 0
        metrics.update({f"{name}/{k}": v for k, v in scores.items() if np.isfinite(v)})
    scored = [s for s in per_question.values() if s["n"] > 0]
    metrics["mean_accuracy"] = float(np.mean([s["accuracy"] for s in scored])) if scored else 0.0
    metrics["mean_f1"] = float(np.mean([s["f1"] for s in scored])) if scored else 0.0
    return metrics
