"""Synthetic Galaxy Zoo votes: drawn from structure, branching like the tree, deterministic, and
leaving every other column untouched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.synth import synthesize
from astrobench.data.synth.votes import VoteTruth, simulate_votes, vote_rng
from astrobench.registry import VOTE_SCHEMAS

ELLIPTICAL = VoteTruth(
    label=2, bulge_fraction=1.0, axis_ratio=0.9, cos_incl=0.9, bar_share=0.0, arm_count=0,
    pitch_deg=float("nan"), companion_flux_ratio=0.0, resolution=2.0, has_neighbour=False,
    has_artefact=False,
)  # fmt: skip
BARRED = replace(ELLIPTICAL, label=5, bulge_fraction=0.15, bar_share=0.18, arm_count=2,
                 pitch_deg=18.0)  # fmt: skip
EDGE_ON = replace(ELLIPTICAL, label=8, bulge_fraction=0.02, axis_ratio=0.15, cos_incl=0.05)
MERGER = replace(ELLIPTICAL, label=1, bulge_fraction=0.4, companion_flux_ratio=0.9)


def _mean_fraction(truth: VoteTruth, column: str, total: str, schema: str = "gz-decals-5") -> float:
    rows = [simulate_votes(schema, truth, vote_rng(0, i)) for i in range(150)]
    counts = np.array([r[column] for r in rows], dtype=float)
    totals = np.array([r[total] for r in rows], dtype=float)
    return float(counts[totals > 0].sum() / totals[totals > 0].sum())


def test_votes_follow_each_galaxys_structure() -> None:
    featured = ("smooth-or-featured-dr5_featured-or-disk", "smooth-or-featured-dr5_total-votes")
    assert _mean_fraction(BARRED, *featured) > 0.7 > 0.2 > _mean_fraction(ELLIPTICAL, *featured)
    strong_bar = ("bar-dr5_strong", "bar-dr5_total-votes")
    assert _mean_fraction(BARRED, *strong_bar) > 0.5
    edge = ("disk-edge-on-dr5_yes", "disk-edge-on-dr5_total-votes")
    assert _mean_fraction(EDGE_ON, *edge) > 0.8 > 0.2 > _mean_fraction(BARRED, *edge)
    merger = ("merging-dr5_merger", "merging-dr5_total-votes")
    assert _mean_fraction(MERGER, *merger) > 0.5 > 0.1 > _mean_fraction(ELLIPTICAL, *merger)
    odd = ("something-odd-gz2_yes", "something-odd-gz2_total-votes")
    assert _mean_fraction(MERGER, *odd, "gz2") > 0.5


@pytest.mark.parametrize("name", ["gz-decals-5", "gz2"])
def test_counts_branch_like_the_tree(name: str) -> None:
    schema = VOTE_SCHEMAS.get(name)
    rows = [simulate_votes(name, truth, vote_rng(3, i)) for i, truth in
            enumerate([ELLIPTICAL, BARRED, EDGE_ON, MERGER] * 10)]  # fmt: skip
    counts = np.array([[r[c] for c in schema.count_columns()] for r in rows])
    np.testing.assert_array_equal(schema.asked(counts), schema.answered(counts))
    volunteers = schema.answered(counts)[:, 0]
    assert volunteers.min() >= 5 and volunteers.max() <= 45 and (volunteers >= 34).mean() > 0.6
    totals = np.array([[r[schema.total_column(q.name)] for q in schema.questions] for r in rows])
    np.testing.assert_array_equal(totals, schema.answered(counts))


def test_survey_votes_are_deterministic_and_change_nothing_else(tmp_path: Path) -> None:
    kwargs = {"size": 32, "spectra": False, "progress": False}
    plain = synthesize("sdss", 10, 4, tmp_path / "plain.h5", **kwargs)
    one = synthesize("sdss", 10, 4, tmp_path / "one.h5", votes="gz-decals-5", **kwargs)
    two = synthesize("sdss", 10, 4, tmp_path / "two.h5", workers=2, votes="gz-decals-5", **kwargs)
    schema = VOTE_SCHEMAS.get("gz-decals-5")
    with CutoutFile(plain) as p, CutoutFile(one) as a, CutoutFile(two) as b:
        assert a.attrs["vote_schema"] == "gz-decals-5" and "vote_schema" not in p.attrs
        np.testing.assert_array_equal(a.read_images(np.arange(10)), p.read_images(np.arange(10)))
        for column in p.columns:
            np.testing.assert_array_equal(a.column(column), p.column(column))
        assert set(a.columns) - set(p.columns) >= set(schema.count_columns())
        for column in a.columns:
            np.testing.assert_array_equal(a.column(column), b.column(column))
        counts = schema.read_counts(a)
        np.testing.assert_array_equal(schema.asked(counts), schema.answered(counts))


def test_unknown_vote_tree_is_one_line_exit_2(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "x.h5"
    code, _, err = run_cli("data", "synth", "--n", "2", "--out", out, "--votes", "gz3")
    assert code == 2 and "unknown vote schema 'gz3'" in err and err.count("\n") == 1
    assert not out.exists()
