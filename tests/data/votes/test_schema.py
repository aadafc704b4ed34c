"""The GZ DECaLS-5 and GZ2 decision trees as schema objects, and reading vote counts with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.votes.schema import Question, VoteSchema
from astrobench.errors import ConfigError, DataError, MissingColumnError
from astrobench.registry import VOTE_SCHEMAS


def test_both_campaigns_are_registered() -> None:
    assert {"gz-decals-5", "gz2"} <= set(VOTE_SCHEMAS.names())


def test_gz_decals_5_tree() -> None:
    schema = VOTE_SCHEMAS.get("gz-decals-5")
    assert len(schema.questions) == 10 and schema.n_answers == 34
    assert schema.question("bar").answers == ("strong", "weak", "no")
    assert schema.leads_to("smooth-or-featured", "smooth") == ["how-rounded", "merging"]
    assert schema.leads_to("smooth-or-featured", "featured-or-disk") == [
        "disk-edge-on",
        "merging",
    ]
    assert schema.leads_to("smooth-or-featured", "artifact") == []
    assert schema.leads_to("disk-edge-on", "no") == ["has-spiral-arms", "bar", "bulge-size"]
    assert schema.leads_to("disk-edge-on", "yes") == ["edge-on-bulge"]
    assert schema.leads_to("has-spiral-arms", "yes") == ["spiral-winding", "spiral-arm-count"]
    assert schema.count_column("bar", "weak") == "bar-dr5_weak"
    assert schema.total_column("bar") == "bar-dr5_total-votes"


def test_gz2_tree() -> None:
    schema = VOTE_SCHEMAS.get("gz2")
    assert schema.leads_to("disk-edge-on", "yes") == ["bulge-shape"]
    assert schema.leads_to("disk-edge-on", "no") == ["bar"]
    assert schema.leads_to("bar", "no") == ["has-spiral-arms"]
    assert schema.leads_to("has-spiral-arms", "no") == ["bulge-size"]
    assert schema.question("something-odd").asked_after == (
        ("smooth-or-featured", "smooth"),
        ("smooth-or-featured", "featured-or-disk"),
    )
    assert schema.count_column("how-rounded", "cigar") == "how-rounded-gz2_cigar"


def test_volunteers_asked_follow_the_branches() -> None:
    schema = VOTE_SCHEMAS.get("gz-decals-5")
    counts = np.zeros((1, schema.n_answers), dtype=np.int64)
    values = {
        ("smooth-or-featured", "smooth"): 10,
        ("smooth-or-featured", "featured-or-disk"): 28,
        ("smooth-or-featured", "artifact"): 2,
        ("disk-edge-on", "yes"): 8,
        ("disk-edge-on", "no"): 20,
        ("has-spiral-arms", "yes"): 15,
        ("has-spiral-arms", "no"): 5,
    }
    for (question, answer), value in values.items():
        counts[
            0, schema.slices[question].start + schema.question(question).answers.index(answer)
        ] = value
    asked = dict(zip([q.name for q in schema.questions], schema.asked(counts)[0], strict=True))
    assert asked == {
        "smooth-or-featured": 40, "disk-edge-on": 28, "has-spiral-arms": 20, "bar": 20,
        "bulge-size": 20, "how-rounded": 10, "edge-on-bulge": 8, "spiral-winding": 15,
        "spiral-arm-count": 15, "merging": 38,
    }  # fmt: skip
    assert schema.answered(counts)[0, 2] == 20  # has-spiral-arms got 15 + 5 votes


def test_a_question_after_an_unknown_answer_is_refused() -> None:
    with pytest.raises(ConfigError, match="not an answer of an earlier question"):
        VoteSchema(
            "bad",
            "bad",
            "",
            (Question("a", ("x", "y")), Question("b", ("p", "q"), (("a", "z"),))),
        )


def _vote_file(tmp_path: Path, schema: VoteSchema, first: float) -> Path:
    counts = np.arange(2 * schema.n_answers, dtype=np.float64).reshape(2, -1)
    counts[1, 3] = first
    columns = dict(zip(schema.count_columns(), counts.T, strict=True))
    return write_cutouts(
        tmp_path / "v.h5",
        np.zeros((2, 1, 2, 2), dtype=np.float32),
        {"object_id": np.arange(2), **columns},
        bands=["r"],
        pixel_scale_arcsec=1.0,
    )


def test_read_counts_in_schema_order(tmp_path: Path) -> None:
    schema = VOTE_SCHEMAS.get("gz2")
    with CutoutFile(_vote_file(tmp_path, schema, 7.0)) as cutouts:
        counts = schema.read_counts(cutouts)
        assert counts.dtype == np.int64 and counts[0].tolist() == list(range(schema.n_answers))
        assert counts[1, 3] == 7
        with pytest.raises(MissingColumnError, match=r"vote column.*schema gz-decals-5"):
            VOTE_SCHEMAS.get("gz-decals-5").read_counts(cutouts)


@pytest.mark.parametrize("bad", [-1.0, np.nan, 2.5])
def test_negative_nan_or_fractional_counts_are_data_errors(tmp_path: Path, bad: float) -> None:
    schema = VOTE_SCHEMAS.get("gz2")
    path = _vote_file(tmp_path, schema, bad)
    with (
        CutoutFile(path) as cutouts,
        pytest.raises(DataError, match=r"1 vote count\(s\).*disk-edge-on-gz2_yes of object 1"),
    ):
        schema.read_counts(cutouts)
