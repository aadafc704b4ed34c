"""Galaxy Zoo votes: predict the volunteers' vote counts of a decision tree (seed 003 §4.2.3, §6.5).

The target is every answer count of one tree (data/votes: GZ DECaLS-5 or GZ2), named on the
command line as `votes` (the tree the file's `vote_schema` attribute names) or `votes:<tree>`.
A head predicts one Dirichlet concentration per answer; the loss is the Dirichlet-multinomial
negative log-likelihood summed over questions (models/vote_head.py, metrics/votes.py), so a
question nobody was asked costs nothing. `y_pred` holds the concentrations; the predicted vote
fractions are the concentrations normalised per question. Scores: mean NLL per galaxy, the mean
absolute error of the vote fractions, and the derived morphology of seed 003 — per question the
answer most volunteers gave vs the one predicted most likely, on galaxies with at least
`min_votes` volunteers of whom at least `min_asked_fraction` were asked — as accuracy and
support-weighted F1 per question (Table E1) and their means (headline: mean accuracy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from astrobench.errors import ConfigError
from astrobench.registry import VOTE_SCHEMAS, register_task
from astrobench.tasks.base import Task, TaskFigure

if TYPE_CHECKING:
    from torch import nn

    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.votes.schema import VoteSchema
    from astrobench.tasks.predictions import Predictions

VOTES = "votes"


@dataclass(frozen=True)
class VoteOutput:
    """A head predicts one Dirichlet concentration per answer of a decision tree."""

    schema: str
    n_answers: int


def schema_of_target(cutouts: CutoutFile, target: str) -> VoteSchema | None:
    """The tree a `votes` / `votes:<tree>` target means for this file; None for other targets."""
    if target != VOTES and not target.startswith(f"{VOTES}:"):
        return None
    name = target.partition(":")[2] or str(cutouts.attrs.get("vote_schema", ""))
    if not name:
        raise ConfigError(
            f"{cutouts.path}: the file does not say which Galaxy Zoo tree its votes follow",
            f"name it: --target votes:<tree>, one of {', '.join(VOTE_SCHEMAS.names())}",
        )
    schema: VoteSchema = VOTE_SCHEMAS.get(name)
    return schema


def _schema_of_columns(columns: tuple[str, ...]) -> VoteSchema | None:
    """The tree whose count columns are exactly `columns`, if any."""
    for name in VOTE_SCHEMAS.names():
        schema: VoteSchema = VOTE_SCHEMAS.get(name)
        if tuple(schema.count_columns()) == columns:
            return schema
    return None


@register_task("votes")
@dataclass(frozen=True)
class VotesTask(Task):
    """Predict vote counts of a Galaxy Zoo tree; headline: mean accuracy over questions."""

    kind: ClassVar[str] = "votes"
    lower_is_better: ClassVar[frozenset[str]] = frozenset({"nll", "fraction_mae"})
    default_headline: ClassVar[str] = "mean_accuracy"
    default_interval_metrics: ClassVar[tuple[str, ...]] = ("mean_accuracy", "mean_f1", "nll")
    default_table_metrics: ClassVar[tuple[str, ...]] = ("mean_f1", "nll")

    schema: str = "gz-decals-5"
    min_votes: int = 34
    min_asked_fraction: float = 0.5

    @property
    def vote_schema(self) -> VoteSchema:
        schema: VoteSchema = VOTE_SCHEMAS.get(self.schema)
        return schema

    @property
    def target(self) -> str:
        return f"{VOTES}:{self.schema}"

    @classmethod
    def expand_target(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> tuple[str, ...] | None:
        schema = schema_of_target(cutouts, columns[0]) if len(columns) == 1 else None
        if schema is None:
            return None
        schema.read_counts(cutouts)  # missing, negative, NaN or fractional counts: one line now
        return tuple(schema.count_columns())

    @classmethod
    def claims(cls, cutouts: CutoutFile, columns: tuple[str, ...]) -> int:
        return 100 if _schema_of_columns(columns) is not None else 0

    @classmethod
    def from_file(
        cls, cutouts: CutoutFile, columns: tuple[str, ...], options: Mapping[str, Any]
    ) -> Task:
        schema = _schema_of_columns(columns)
        if schema is None:
            raise ConfigError(
                f"the columns {','.join(columns[:3])}, ... are not the vote counts of a known tree",
                "give --target votes (or votes:<tree>) on a file with Galaxy Zoo votes",
            )
        schema.read_counts(cutouts)
        return cls(columns, **{"schema": schema.name, **options})

    @property
    def output(self) -> VoteOutput:  # type: ignore[override]
        return VoteOutput(self.schema, self.vote_schema.n_answers)

    def read_targets(self, cutouts: CutoutFile) -> np.ndarray:
        return self.vote_schema.read_counts(cutouts).astype(np.float64)  # [N, A]

    def labelled_mask(self, targets: np.ndarray) -> np.ndarray:
        """Galaxies at least one volunteer classified."""
        return np.asarray(self.vote_schema.answered(targets)[:, 0] > 0)

    def strata(self, targets: np.ndarray) -> np.ndarray:
        """The root question's majority answer (smooth / featured / artefact)."""
        root = self.vote_schema.slices[self.vote_schema.questions[0].name]
        return np.asarray(targets)[:, root].argmax(axis=1).astype(np.int64)

    def build_head(self, num_features: int, dropout: float = 0.0) -> nn.Module:
        from astrobench.models.vote_head import build_vote_head

        return build_vote_head(num_features, self.vote_schema, dropout)

    def make_loss(self, train_targets: np.ndarray, settings: Mapping[str, Any]) -> Any:
        from astrobench.models.vote_head import DirichletMultinomialLoss

        return DirichletMultinomialLoss(self.vote_schema)

    def decode(self, outputs: np.ndarray, loss: Any) -> tuple[np.ndarray, np.ndarray | None]:
        import torch

        from astrobench.models.vote_head import concentrations_from_outputs

        raw = torch.from_numpy(np.asarray(outputs, dtype=np.float64))
        return concentrations_from_outputs(raw).double().numpy(), None  # [n, A]

    def selection_score(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Minus the mean negative log-likelihood per galaxy ([G] for a grid [G, n, A])."""
        from astrobench.metrics.votes import dirichlet_multinomial_log_likelihood

        pred = np.asarray(y_pred, dtype=np.float64)
        grid = pred.reshape(-1, *pred.shape[-2:])  # [G, n, A]
        scores = np.array(
            [
                dirichlet_multinomial_log_likelihood(y_true, g, self.vote_schema).sum(axis=1).mean()
                for g in grid
            ]
        )
        return scores if pred.ndim == 3 else scores[0]

    def score(self, predictions: Predictions) -> dict[str, float]:
        from astrobench.metrics.votes import vote_metrics

        return vote_metrics(
            predictions.y_true,
            predictions.y_pred,
            self.vote_schema,
            self.min_votes,
            self.min_asked_fraction,
        )

    def figures(self, predictions: Predictions, label: str, what: str) -> list[TaskFigure]:
        from astrobench.metrics.votes import derived_morphology, fractions_from_concentrations
        from astrobench.report.vote_figures import per_question_png, vote_fraction_png

        schema = self.vote_schema
        fractions = fractions_from_concentrations(predictions.y_pred, schema)
        scores = derived_morphology(
            predictions.y_true, fractions, schema, self.min_votes, self.min_asked_fraction
        )
        first = f"{label}: predicted vs volunteers' vote fractions ({what})"
        second = f"{label}: derived morphology per question, accuracy and F1 ({what})"
        return [
            TaskFigure(
                first,
                vote_fraction_png(predictions.y_true, fractions, schema, first),
                f"votes_fractions_{label}",
            ),
            TaskFigure(second, per_question_png(scores, second), f"votes_questions_{label}"),
        ]
