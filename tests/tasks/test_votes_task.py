"""The votes task: `--target votes` on a file with Galaxy Zoo votes, trained end to end with the
Dirichlet-multinomial loss (a training protocol and the MLP probe); bad votes exit 2."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.data.synth.votes import VoteTruth, simulate_votes, vote_rng
from astrobench.errors import MissingColumnError
from astrobench.metrics.votes import vote_metrics
from astrobench.registry import VOTE_SCHEMAS
from astrobench.tasks.base import task_from_description
from astrobench.tasks.predictions import Predictions
from astrobench.tasks.resolve import resolve_task
from astrobench.tasks.votes import VotesTask

SMOOTH = VoteTruth(
    label=2, bulge_fraction=1.0, axis_ratio=0.9, cos_incl=0.9, bar_share=0.0, arm_count=0,
    pitch_deg=float("nan"), companion_flux_ratio=0.0, resolution=2.0, has_neighbour=False,
    has_artefact=False,
)  # fmt: skip
SPIRAL = replace(SMOOTH, label=7, bulge_fraction=0.1, arm_count=2, pitch_deg=25.0)


def _vote_file(path: Path, n: int = 80, schema: str = "gz-decals-5", attr: bool = True) -> Path:
    """Bright blobs are smooth galaxies, faint ones spirals: votes follow the images."""
    rng = np.random.default_rng(0)
    spiral = np.arange(n) % 2 == 1
    images = rng.normal(0, 0.1, (n, 3, 16, 16)).astype(np.float32)
    images[~spiral, :, 6:10, 6:10] += 3.0
    rows = [
        simulate_votes(schema, SPIRAL if s else SMOOTH, vote_rng(1, i))
        for i, s in enumerate(spiral)
    ]
    columns = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    return write_cutouts(
        path, images, {"object_id": np.arange(n), **columns}, bands=list("grz"),
        pixel_scale_arcsec=0.262, attrs={"vote_schema": schema} if attr else {},
    )  # fmt: skip


def test_votes_target_resolves_to_the_files_tree(tmp_path: Path) -> None:
    path = _vote_file(tmp_path / "v.h5")
    with CutoutFile(path) as cutouts:
        task = resolve_task(cutouts, "votes")
        assert isinstance(task, VotesTask) and task.schema == "gz-decals-5"
        assert task.target == "votes:gz-decals-5"
        counts = task.read_targets(cutouts)
        assert counts.shape == (80, 34)
        assert resolve_task(cutouts, "votes:gz-decals-5") == task
        with pytest.raises(MissingColumnError, match="vote column"):
            resolve_task(cutouts, "votes:gz2")  # the file's votes follow another tree
    again = task_from_description(json.loads(json.dumps(task.describe())))
    assert again == task
    assert again.vote_schema is VOTE_SCHEMAS.get("gz-decals-5")


def test_decoding_scoring_and_selection_agree_with_the_metrics(tmp_path: Path) -> None:
    path = _vote_file(tmp_path / "v.h5")
    with CutoutFile(path) as cutouts:
        task = resolve_task(cutouts, "votes")
        counts = task.read_targets(cutouts)
    outputs = np.random.default_rng(2).normal(size=counts.shape)
    concentrations, probabilities = task.decode(outputs, task.make_loss(counts, {}))
    assert probabilities is None and concentrations.min() >= 1.0
    scores = task.score(Predictions(counts, concentrations))
    assert scores == vote_metrics(counts, concentrations, task.vote_schema)
    grid = np.stack([concentrations, concentrations * 3])
    selection = task.selection_score(counts, grid)
    assert selection.shape == (2,) and selection[0] == pytest.approx(-scores["nll"])
    assert task.higher_is_better and not task.metric_higher_is_better("nll")
    assert len(task.figures(Predictions(counts, concentrations), "v", "test")) == 2


def test_scratch_training_and_the_mlp_probe_learn_the_votes(tmp_path: Path, run_cli) -> None:
    path = _vote_file(tmp_path / "v.h5")
    out = tmp_path / "scratch"
    code, _, err = run_cli(
        "finetune", "--backbone", "vit_tiny_p8", "--data", path, "--target", "votes",
        "--mode", "scratch", "--epochs", "2", "--batch-size", "16", "--device", "cpu",
        "--out", out,
    )  # fmt: skip
    assert code == 0, err
    record = json.loads((out / "metrics.json").read_text())
    assert record["target"] == "votes:gz-decals-5" and "smooth-or-featured/f1" in record["metrics"]
    code, stdout, err = run_cli(
        "probe", "--backbone", "vit_tiny_p8", "--data", path, "--target", "votes",
        "--protocol", "mlp", "--fractions", "1.0", "--seeds", "0", "--json",
    )  # fmt: skip
    assert code == 0, err
    (record,) = json.loads(stdout)["records"]
    assert record["protocol"] == "mlp"
    # bright blobs are smooth, faint ones spirals: the probe reads it off the embeddings
    assert record["metrics"]["smooth-or-featured/accuracy"] >= 0.66
    code, _, err = run_cli(
        "probe", "--backbone", "vit_tiny_p8", "--data", path, "--target", "votes",
        "--protocol", "knn", "--fractions", "1.0", "--seeds", "0",
    )  # fmt: skip
    assert code == 2 and "cannot predict votes targets" in err and err.count("\n") == 1


def test_bad_votes_exit_2_with_one_line(tmp_path: Path, run_cli) -> None:
    path = _vote_file(tmp_path / "v.h5", attr=False)
    base = ["probe", "--backbone", "vit_tiny_p8", "--data", path, "--protocol", "mlp"]
    code, _, err = run_cli(*base, "--target", "votes")
    assert code == 2 and "does not say which Galaxy Zoo tree" in err and err.count("\n") == 1
    with CutoutFile(path) as cutouts:
        images = cutouts.read_images(np.arange(len(cutouts)))
        catalog = {c: cutouts.column(c).copy() for c in cutouts.columns}
    catalog["bar-dr5_weak"][3] = -2
    bad = write_cutouts(tmp_path / "bad.h5", images, catalog, bands=list("grz"),
                        pixel_scale_arcsec=0.262)  # fmt: skip
    code, _, err = run_cli(*[a if a != path else bad for a in base], "--target",
                           "votes:gz-decals-5")  # fmt: skip
    assert code == 2 and "negative" in err and "bar-dr5_weak of object 3" in err


def test_figures_pass_the_tasks_thresholds_and_captions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from astrobench.report import vote_figures

    seen: dict[str, object] = {}

    def fractions_png(counts: object, fractions: object, schema: object, title: str) -> bytes:
        seen["fractions_title"] = title
        return b"fractions"

    def questions_png(scores: dict[str, dict[str, float]], title: str) -> bytes:
        seen["scores"], seen["questions_title"] = scores, title
        return b"questions"

    monkeypatch.setattr(vote_figures, "vote_fraction_png", fractions_png)
    monkeypatch.setattr(vote_figures, "per_question_png", questions_png)
    path = _vote_file(tmp_path / "v.h5")
    with CutoutFile(path) as cutouts:
        task = replace(resolve_task(cutouts, "votes"), min_votes=3, min_asked_fraction=0.9)
        counts = task.read_targets(cutouts)
    concentrations = np.random.default_rng(3).uniform(1, 5, counts.shape)
    first, second = task.figures(Predictions(counts, concentrations), "v", "test")
    assert (first.caption, first.png, first.slug) == (
        "v: predicted vs volunteers' vote fractions (test)",
        b"fractions",
        "votes_fractions_v",
    )
    assert (second.caption, second.png, second.slug) == (
        "v: derived morphology per question, accuracy and F1 (test)", b"questions",
        "votes_questions_v",
    )  # fmt: skip
    assert seen["fractions_title"] == first.caption
    assert seen["questions_title"] == second.caption
    from astrobench.metrics.votes import derived_morphology, fractions_from_concentrations

    schema = task.vote_schema
    expected = derived_morphology(
        counts, fractions_from_concentrations(concentrations, schema), schema, 3, 0.9
    )
    np.testing.assert_equal(seen["scores"], expected)  # NaN where a question has no galaxy
    default = derived_morphology(
        counts, fractions_from_concentrations(concentrations, schema), schema
    )
    counted = {question: scores["n"] for question, scores in expected.items()}
    assert counted != {question: scores["n"] for question, scores in default.items()}


def test_labelled_mask_strata_and_head_of_the_tree() -> None:
    from torch import nn

    task = VotesTask(("votes:gz-decals-5",))
    schema = task.vote_schema
    counts = np.zeros((4, schema.n_answers))
    root = schema.slices[schema.questions[0].name]  # smooth / featured / artefact
    second = schema.slices[schema.questions[1].name]
    counts[0, root] = [1, 0, 0]  # one volunteer
    counts[1, root] = [2, 9, 0]
    counts[2, second] = [5, 1]  # votes below an empty root only: not classified
    counts[3, root] = [0, 0, 4]
    assert task.labelled_mask(counts).tolist() == [True, True, False, True]
    strata = task.strata(counts)
    assert strata.tolist() == [0, 1, 0, 2] and strata.dtype == np.int64
    head = task.build_head(8)  # no dropout by default: a plain linear layer
    assert isinstance(head, nn.Linear) and head.out_features == schema.n_answers
    assert isinstance(task.build_head(8, dropout=0.5)[0], nn.Dropout)


def test_votes_refusals_name_the_trees_and_options_reach_the_task(tmp_path: Path) -> None:
    from astrobench.errors import ConfigError
    from astrobench.tasks.votes import schema_of_target

    unnamed = _vote_file(tmp_path / "unnamed.h5", attr=False)
    with CutoutFile(unnamed) as cutouts:
        with pytest.raises(ConfigError, match="does not say which Galaxy Zoo tree") as error:
            schema_of_target(cutouts, "votes")
        trees = ", ".join(VOTE_SCHEMAS.names())
        assert error.value.hint == f"name it: --target votes:<tree>, one of {trees}"
        assert "," in trees  # several trees to name
        columns = tuple(VOTE_SCHEMAS.get("gz-decals-5").count_columns())
        with pytest.raises(ConfigError, match="are not the vote counts") as error:
            VotesTask.from_file(cutouts, columns[:-1], {})
        assert error.value.one_line() == (
            f"the columns {','.join(columns[:3])}, ... are not the vote counts of a known tree "
            "(hint: give --target votes (or votes:<tree>) on a file with Galaxy Zoo votes)"
        )
        task = VotesTask.from_file(cutouts, columns, {"min_votes": 5})
        assert (task.schema, task.min_votes, task.columns) == ("gz-decals-5", 5, columns)
        # a multi-column target is never a votes target (only `votes` or `votes:<tree>`)
        assert VotesTask.expand_target(cutouts, ("votes", "redshift")) is None


def test_votes_scoring_and_selection_use_the_tasks_thresholds_in_float64(tmp_path: Path) -> None:
    path = _vote_file(tmp_path / "v.h5")
    with CutoutFile(path) as cutouts:
        task = replace(resolve_task(cutouts, "votes"), min_votes=3, min_asked_fraction=0.9)
        counts = task.read_targets(cutouts)
    assert counts.dtype == np.float64
    concentrations = np.random.default_rng(4).uniform(1, 5, counts.shape)
    scores = task.score(Predictions(counts, concentrations))
    assert scores == vote_metrics(counts, concentrations, task.vote_schema, 3, 0.9)
    assert (
        scores["how-rounded/n"]
        != vote_metrics(counts, concentrations, task.vote_schema, 3)["how-rounded/n"]
    )
    single = task.selection_score(counts, concentrations.astype(np.float32))
    expected = vote_metrics(counts, concentrations.astype(np.float32), task.vote_schema)["nll"]
    assert single == pytest.approx(-expected, rel=1e-12)
