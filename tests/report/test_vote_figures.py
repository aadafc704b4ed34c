"""Vote report pieces: the fraction scatter shows what was answered, the table what was scored."""

from __future__ import annotations

import numpy as np

from astrobench.registry import VOTE_SCHEMAS
from astrobench.report.vote_figures import morphology_table, vote_fraction_figure, vote_fraction_png

SCHEMA = VOTE_SCHEMAS.get("gz2")


def _case() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 20, (30, SCHEMA.n_answers))
    counts[:10, SCHEMA.slices["bar"]] = 0  # ten galaxies nobody asked about a bar
    predicted = rng.dirichlet(np.ones(SCHEMA.n_answers), 30)
    return counts, predicted


def test_each_question_panel_plots_its_answered_galaxies() -> None:
    counts, predicted = _case()
    figure = vote_fraction_figure(counts, predicted, SCHEMA)
    panels = [a for a in figure.axes if a.get_visible()]
    assert len(panels) == len(SCHEMA.questions)
    bar = next(a for a in panels if a.get_title().startswith("bar "))
    answered = counts[:, SCHEMA.slices["bar"]].sum(axis=1) >= 5
    assert bar.get_title() == f"bar (n={int(answered.sum())})"
    points = bar.collections[0].get_offsets()  # answer "yes"
    part = SCHEMA.slices["bar"]
    expected_x = counts[answered, part][:, 0] / counts[answered, part].sum(axis=1)
    np.testing.assert_allclose(np.asarray(points)[:, 0], expected_x)
    np.testing.assert_allclose(np.asarray(points)[:, 1], predicted[answered, part][:, 0])
    assert vote_fraction_png(counts, predicted, SCHEMA).startswith(b"\x89PNG")


def test_morphology_table_rows_and_missing_cells() -> None:
    table = morphology_table(
        {
            "ours": {
                "bar": {"accuracy": 0.812, "f1": 0.8},
                "smooth": {"accuracy": np.nan, "f1": 0},
            },
            "AstroCLIP (seed 003)": {"bar": {"accuracy": 0.56, "f1": 0.54}},
        },
        ["smooth", "bar"],
    )
    lines = table.splitlines()
    assert lines[0] == "| question | ours | AstroCLIP (seed 003) |"
    assert lines[2] == "| smooth | - | - |"
    assert lines[3] == "| bar | 0.81 / 0.80 | 0.56 / 0.54 |"


def test_per_question_figure_skips_unscored_questions() -> None:
    from astrobench.report.vote_figures import per_question_figure, per_question_png

    scores = {
        "smooth-or-featured": {"accuracy": 0.9, "f1": 0.88, "n": 40.0},
        "bar": {"accuracy": float("nan"), "f1": float("nan"), "n": 0.0},
        "merging": {"accuracy": 0.7, "f1": 0.6, "n": 12.0},
    }
    axis = per_question_figure(scores, "votes").axes[0]
    heights = [p.get_height() for p in axis.patches]
    assert heights == [0.9, 0.7, 0.88, 0.6]  # accuracy bars, then F1 bars; bar left out
    labels = [t.get_text() for t in axis.get_xticklabels()]
    assert labels == ["smooth-or-featured\n(n=40)", "merging\n(n=12)"]
    assert per_question_png(scores).startswith(b"\x89PNG")
