"""Suites with encoder pairs: protocols restricted to targets, `pretrained:<clip step>` naming
the whole pair, and the shipped AstroCLIP suite's grid."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from astrobench.bench.artifacts import ENCODER_FILE, pretrain_dir, pretrained_spec
from astrobench.bench.suite import expand_grid, load_suite, parse_suite
from astrobench.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "astroclip.yaml"


def _suite(**changes: object) -> dict:
    raw: dict = {
        "name": "pairs",
        "datasets": {
            "d": {"path": "x.h5", "targets": ["redshift", {"column": "redshift,log_ssfr",
                                                           "task": "retrieval"}]},
        },
        "pretrain": [{"name": "clip", "method": "clip", "dataset": "d", "settings": {"epochs": 1}}],
        "backbones": ["vit_tiny_p8", "pretrained:clip"],
        "protocols": [
            {"name": "knn", "backbones": ["vit_tiny_p8"], "targets": ["redshift"]},
            {"name": "retrieval", "backbones": ["pretrained:clip"],
             "targets": ["redshift,log_ssfr"]},
        ],
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_protocols_run_only_on_their_targets_and_backbones() -> None:
    cells = expand_grid(parse_suite(_suite()))
    found = {(c.protocol, c.backbone, c.target, c.task_kind) for c in cells}
    assert found == {
        ("knn", "vit_tiny_p8", "redshift", None),
        ("retrieval", "pretrained:clip", "redshift,log_ssfr", "retrieval"),
    }


def test_a_protocol_naming_an_unknown_target_is_refused() -> None:
    raw = _suite()
    raw["protocols"][0]["targets"] = ["redshfit"]
    with pytest.raises(ConfigError, match="lists targets no dataset has: \\['redshfit'\\]"):
        parse_suite(raw)


def test_a_clip_step_without_modality_names_its_pair(tmp_path: Path) -> None:
    suite = parse_suite(_suite())
    step_dir = pretrain_dir(suite, tmp_path, "pretrained:clip")
    for modality in ("image", "spectrum"):
        (step_dir / modality).mkdir(parents=True)
        (step_dir / modality / ENCODER_FILE).write_bytes(b"")
    said: list[str] = []
    spec = pretrained_spec(suite, "pretrained:clip", tmp_path, {}, say=said.append, progress=False)
    assert spec == f"ckpt:{step_dir}"
    one = pretrained_spec(
        suite, "pretrained:clip?modality=image", tmp_path, {}, say=said.append, progress=False
    )
    assert one == f"ckpt:{step_dir / 'image' / ENCODER_FILE}"


def test_the_astroclip_suite_has_every_part_of_seed_003() -> None:
    suite = load_suite(CONFIG)
    cells = expand_grid(suite)
    assert Counter(c.protocol for c in cells) == {
        "knn_distance": 25, "mlp": 25, "retrieval": 2, "scratch": 2,
    }  # fmt: skip
    retrieval = {c.backbone for c in cells if c.protocol == "retrieval"}
    assert retrieval == {"pretrained:clip", "pretrained:clip_random"}
    steps = {step.name: step.settings for step in suite.pretrain}
    assert steps["clip_random"] == {**steps["clip"], "epochs": 0}  # one thing changed
    supervised = {c.backbone for c in cells if c.protocol == "scratch"}
    assert supervised == {"timm:resnet18?pretrained=false", "pretrained:spec"}


def test_maps_draw_a_class_balanced_sample() -> None:
    from astrobench.bench.artifacts import MAP_MIN_PER_CLASS, map_sample

    labels = np.repeat([0, 1, 2, -1], [500, 2 * MAP_MIN_PER_CLASS, 40, 30])
    chosen = map_sample(len(labels), labels)
    counts = np.bincount(labels[chosen] + 1, minlength=4)  # [-1, 0, 1, 2]
    assert counts[0] == 0  # unlabelled objects are left out
    assert counts[1] == counts[2] == MAP_MIN_PER_CLASS and counts[3] == 40
    assert np.array_equal(chosen, map_sample(len(labels), labels))  # the same for every backbone
