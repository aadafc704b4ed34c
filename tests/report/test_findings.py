"""Headline findings: every number in the sentence comes from the results given."""

from __future__ import annotations

import numpy as np

from astrobench.bench.aggregate import summarise
from astrobench.metrics import photoz
from astrobench.report.findings import best_photoz, most_confused_classes, pretraining_effect
from astrobench.tasks.figures import photoz_stats_text

from .conftest import _row


def _groups(scores: dict[tuple[str, float], list[float]]):
    rows = [
        _row(f"{b}{f}{s}", "label", b, "linear", f, s, {"accuracy": v}, "classification")
        for (b, f), values in scores.items()
        for s, v in enumerate(values)
    ]
    return summarise(rows)


def test_pretraining_gain_is_reported_at_few_and_all_labels() -> None:
    groups = _groups(
        {("mae", 0.1): [0.40, 0.42], ("rand", 0.1): [0.30, 0.28],
         ("mae", 1.0): [0.60, 0.60], ("rand", 1.0): [0.55, 0.55]}
    )  # fmt: skip
    text = pretraining_effect(groups, "label", "mae", "rand", "linear")
    assert text is not None
    assert "+0.120 at 10% of labels (0.410 vs 0.290)" in text
    assert "+0.050 at 100% of labels (0.600 vs 0.550)" in text
    assert text.endswith("the gain is larger with few labels.")


def test_pretraining_gain_says_so_when_it_is_not_larger_with_few_labels() -> None:
    groups = _groups(
        {("mae", 0.1): [0.30], ("rand", 0.1): [0.30], ("mae", 1.0): [0.70], ("rand", 1.0): [0.50]}
    )
    text = pretraining_effect(groups, "label", "mae", "rand", "linear")
    assert text is not None and text.endswith("the gain is not larger with few labels.")


def test_most_confused_pair_is_the_largest_share_of_a_true_class() -> None:
    names = ["Round", "In-between", "Cigar"]
    confusion = np.array([[18, 2, 0], [6, 4, 0], [0, 5, 45]])  # rows: true class
    text = most_confused_classes(names, confusion, "model", "label")
    assert text is not None
    assert "In-between taken for Round (6 of 10, 60%)" in text


def test_a_perfect_confusion_matrix_has_no_confused_pair() -> None:
    assert most_confused_classes(["a", "b"], np.diag([3, 4]), "model", "label") is None


def test_best_photoz_states_eta_at_each_threshold_of_the_best_model() -> None:
    rows = [
        _row(f"{b}{s}", "redshift", b, "linear", 1.0, s, metrics, "photoz")
        for b, values in {"mae": (0.02, 0.3, 0.1), "rand": (0.05, 0.6, 0.2)}.items()
        for s in (0, 1)
        for metrics in [
            {
                "sigma_nmad": values[0] + 0.002 * s,
                "outlier_fraction_0.05": values[1],
                "outlier_fraction_0.15": values[2],
                "bias": 0.001,
            }
        ]
    ]
    text = best_photoz(summarise(rows))
    assert text is not None and text.startswith("redshift: best is mae + linear")
    assert "η(|Δz|/(1+z)>0.05) 0.300, η(|Δz|/(1+z)>0.15) 0.100" in text


def test_photoz_figure_text_names_every_threshold() -> None:
    stats = photoz.photoz_metrics(np.zeros(4), np.array([0.0, 0.1, 0.2, 0.01]))
    text = photoz_stats_text(stats, 4)
    assert "η(|Δz|/(1+z)>0.05) = 0.500" in text  # 0.1 and 0.2 of 4
    assert "η(|Δz|/(1+z)>0.15) = 0.250" in text  # 0.2 of 4
    assert text.index(">0.05") < text.index(">0.15")
