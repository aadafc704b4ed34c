"""Report pieces of the Galaxy Zoo vote task: predicted vs volunteers' vote fractions (one panel
per question, one colour per answer) and the per-question accuracy / F1 table of seed 003
Table E1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from astrobench.report.figures import to_png

if TYPE_CHECKING:
    from astrobench.data.votes.schema import VoteSchema

MIN_ANSWERS = 5  # a question answered by fewer volunteers scatters too much to show


def vote_fraction_figure(
    counts: np.ndarray,
    predicted_fractions: np.ndarray,
    schema: VoteSchema,
    title: str = "",
    min_answers: int = MIN_ANSWERS,
) -> Figure:
    """Predicted vs observed fraction of every answer, per question (galaxies where at least
    `min_answers` volunteers answered it); the 1:1 line on each panel."""
    from matplotlib import pyplot as plt

    counts = np.asarray(counts, dtype=np.float64)
    predicted = np.asarray(predicted_fractions, dtype=np.float64)
    columns = 5 if len(schema.questions) > 4 else len(schema.questions)
    rows = (len(schema.questions) + columns - 1) // columns
    figure, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns, 2.6 * rows), squeeze=False, sharex=True, sharey=True
    )
    for axis, question in zip(axes.flat, schema.questions, strict=False):
        part = schema.slices[question.name]
        answered = counts[:, part].sum(axis=1)  # [n]
        keep = answered >= min_answers
        observed = counts[keep, part] / answered[keep, None]  # [k, K]
        for j, answer in enumerate(question.answers):
            axis.scatter(observed[:, j], predicted[keep, part][:, j], s=4, alpha=0.5, label=answer)
        axis.plot([0, 1], [0, 1], color="black", lw=0.8)
        axis.set_title(f"{question.name} (n={int(keep.sum())})", fontsize=7)
        axis.legend(fontsize=5, loc="upper left", markerscale=2, frameon=False)
    for axis in axes.flat[len(schema.questions) :]:
        axis.set_visible(False)
    for axis in axes[-1, :]:
        axis.set_xlabel("volunteers' fraction", fontsize=7)
    for axis in axes[:, 0]:
        axis.set_ylabel("predicted fraction", fontsize=7)
    if title:
        figure.suptitle(title, fontsize=9)
    return figure


def vote_fraction_png(
    counts: np.ndarray, predicted_fractions: np.ndarray, schema: VoteSchema, title: str = ""
) -> bytes:
    """`vote_fraction_figure` rendered to PNG bytes."""
    return to_png(vote_fraction_figure(counts, predicted_fractions, schema, title))


def per_question_figure(scores: Mapping[str, Mapping[str, float]], title: str = "") -> Figure:
    """Accuracy and support-weighted F1 per question as paired bars (seed 003 Fig. 5), with the
    number of galaxies scored under each question; questions nobody could score are left out."""
    from matplotlib import pyplot as plt

    shown = [q for q, s in scores.items() if s.get("n", 0) > 0 and np.isfinite(s["accuracy"])]
    figure, axis = plt.subplots(figsize=(max(4.0, 0.75 * len(shown) + 1.5), 3.4))
    x = np.arange(len(shown))
    accuracy = [scores[q]["accuracy"] for q in shown]
    f1 = [scores[q]["f1"] for q in shown]
    axis.bar(x - 0.2, accuracy, width=0.4, label="accuracy")
    axis.bar(x + 0.2, f1, width=0.4, label="F1 (weighted)")
    axis.set_xticks(x, [f"{q}\n(n={int(scores[q]['n'])})" for q in shown], rotation=45,
                    ha="right", fontsize=7)  # fmt: skip
    axis.set_ylim(0, 1)
    axis.legend(fontsize=7)
    if title:
        axis.set_title(title, fontsize=9)
    return figure


def per_question_png(scores: Mapping[str, Mapping[str, float]], title: str = "") -> bytes:
    """`per_question_figure` rendered to PNG bytes."""
    return to_png(per_question_figure(scores, title))


def morphology_table(
    columns: Mapping[str, Mapping[str, Mapping[str, float]]], questions: Sequence[str]
) -> str:
    """A Markdown table, one row per question, `accuracy / F1` per column (a model, or a paper's
    reported numbers); a question a column lacks or could not score shows as "-"."""
    names = list(columns)
    lines = [
        "| question | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for question in questions:
        cells = []
        for name in names:
            scores = columns[name].get(question)
            if scores is None or not np.isfinite(scores.get("accuracy", np.nan)):
                cells.append("-")
            else:
                cells.append(f"{scores['accuracy']:.2f} / {scores['f1']:.2f}")
        lines.append(f"| {question} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
