"""`VoteSchema`: a Galaxy Zoo decision tree and the catalog columns of its vote counts.

Volunteers answer a root question; each answer leads to further questions. A question lists the
answers after which it is asked (`asked_after`; empty for the root). When a question follows
several answers of one earlier question (GZ DECaLS `merging` follows both `smooth` and
`featured-or-disk`), the volunteers asked it are those who gave any of them, so in counts:

    asked(q) = sum over (p, a) in asked_after(q) of count(p, a)      (root: every volunteer)

Columns follow galaxy-datasets: `<question><suffix>_<answer>` counts (suffix `-dr5` for GZ
DECaLS DR5, `-gz2` for GZ2), `<question><suffix>_total-votes`, and fractions
`<question><suffix>_<answer>_fraction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError, DataError, MissingColumnError


@dataclass(frozen=True)
class Question:
    """One question: its answers and the (question, answer) pairs after which it is asked."""

    name: str
    answers: tuple[str, ...]
    asked_after: tuple[tuple[str, str], ...] = ()

    @property
    def is_root(self) -> bool:
        return not self.asked_after


@dataclass(frozen=True)
class VoteSchema:
    """A decision tree; questions are listed so that every question follows those it needs."""

    name: str
    title: str
    suffix: str
    questions: tuple[Question, ...]

    def __post_init__(self) -> None:
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.name in seen or len(set(question.answers)) != len(question.answers):
                raise ConfigError(f"schema {self.name}: {question.name} repeats a name")
            for parent, answer in question.asked_after:
                if parent not in seen or answer not in seen[parent].answers:
                    raise ConfigError(
                        f"schema {self.name}: {question.name} follows {parent}_{answer}, "
                        "which is not an answer of an earlier question"
                    )
            seen[question.name] = question
        if not self.questions or not self.questions[0].is_root:
            raise ConfigError(f"schema {self.name}: the first question must be the root")

    def question(self, name: str) -> Question:
        """The question called `name`."""
        for question in self.questions:
            if question.name == name:
                return question
        raise ConfigError(f"schema {self.name} has no question {name!r}")

    @cached_property
    def slices(self) -> dict[str, slice]:
        """Each question's answers as a slice of the flat answer axis [A]."""
        out, start = {}, 0
        for question in self.questions:
            out[question.name] = slice(start, start + len(question.answers))
            start += len(question.answers)
        return out

    @property
    def n_answers(self) -> int:
        return sum(len(q.answers) for q in self.questions)

    def leads_to(self, question: str, answer: str) -> list[str]:
        """The questions asked after `answer` to `question`."""
        return [q.name for q in self.questions if (question, answer) in q.asked_after]

    def count_column(self, question: str, answer: str) -> str:
        return f"{question}{self.suffix}_{answer}"

    def total_column(self, question: str) -> str:
        return f"{question}{self.suffix}_total-votes"

    def fraction_column(self, question: str, answer: str) -> str:
        return f"{self.count_column(question, answer)}_fraction"

    def count_columns(self) -> list[str]:
        """Every count column, in flat answer order."""
        return [self.count_column(q.name, a) for q in self.questions for a in q.answers]

    def answer_names(self) -> list[str]:
        """`<question>_<answer>` for every answer, in flat answer order (suffix-free)."""
        return [f"{q.name}_{a}" for q in self.questions for a in q.answers]

    def read_counts(self, cutouts: CutoutFile, indices: np.ndarray | None = None) -> np.ndarray:
        """Vote counts [n, A] (int64) of objects `indices` (all when None), checked.

        Raises:
            MissingColumnError: a count column of the schema is absent.
            DataError: a count is negative, not finite or not a whole number.
        """
        rows = np.arange(len(cutouts)) if indices is None else np.asarray(indices, np.int64)
        missing = [c for c in self.count_columns() if not cutouts.has_column(c)]
        if missing:
            raise MissingColumnError(
                f"{cutouts.path}: {len(missing)} vote column(s) of schema {self.name} are "
                f"missing, e.g. {missing[0]!r}",
                f"the file's votes do not follow {self.title}; choose the schema that matches",
            )
        counts = np.stack(
            [np.asarray(cutouts.column(c)[rows], np.float64) for c in self.count_columns()], 1
        )  # [n, A]
        bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
        if bad.any():
            row, col = (int(v[0]) for v in np.nonzero(bad))
            raise DataError(
                f"{cutouts.path}: {int(bad.sum())} vote count(s) are negative, NaN or fractional "
                f"(first: {self.count_columns()[col]} of object {int(rows[row])} = "
                f"{counts[row, col]:g})",
                "vote counts are whole numbers >= 0; fix or drop those objects",
            )
        return counts.astype(np.int64)

    def asked(self, counts: np.ndarray) -> np.ndarray:
        """Volunteers asked each question [n, Q], from the counts of the answers before it."""
        counts = np.asarray(counts)
        root = counts[:, self.slices[self.questions[0].name]].sum(axis=1)  # [n]
        columns = []
        for question in self.questions:
            if question.is_root:
                columns.append(root)
                continue
            index = [self._flat(p, a) for p, a in question.asked_after]
            columns.append(counts[:, index].sum(axis=1))
        return np.stack(columns, axis=1)  # [n, Q]

    def answered(self, counts: np.ndarray) -> np.ndarray:
        """Votes each question received [n, Q] (the sum of its answer counts)."""
        counts = np.asarray(counts)
        return np.stack([counts[:, s].sum(axis=1) for s in self.slices.values()], axis=1)

    def _flat(self, question: str, answer: str) -> int:
        return self.slices[question].start + self.question(question).answers.index(answer)
