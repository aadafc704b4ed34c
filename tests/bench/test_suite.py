"""Suite files: validation, grid expansion, stable config hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from astrobench.bench.suite import expand_grid, load_suite, parse_suite
from astrobench.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _suite(**changes: object) -> dict:
    raw: dict = {
        "name": "t",
        "datasets": {
            "survey": {"synth": {"preset": "sdss", "n": 100}, "targets": ["label", "redshift"]}
        },
        "pretrain": [{"name": "mae_tiny", "dataset": "survey", "settings": {"epochs": 1}}],
        "backbones": ["pretrained:mae_tiny", "vit_tiny_p8"],
        "protocols": [
            "knn",
            {"name": "scratch", "backbones": ["vit_tiny_p8"], "settings": {"train": {"epochs": 2}}},
        ],
        "fractions": [0.1, 1.0],
        "seeds": [0, 1],
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path: Path) -> None:
    suite = load_suite(path)
    assert expand_grid(suite), f"{path.name} expands to no cells"


def test_grid_counts_and_protocol_backbone_restriction() -> None:
    cells = expand_grid(parse_suite(_suite()))
    # knn: 2 backbones x 2 targets x 2 fractions x 2 seeds; scratch: only vit_tiny_p8 -> 8
    assert len(cells) == 16 + 8
    assert {c.backbone for c in cells if c.protocol == "scratch"} == {"vit_tiny_p8"}
    assert len({c.config_hash for c in cells}) == len(cells)


def test_hash_is_stable_and_tracks_the_recipe() -> None:
    first = {
        (c.backbone, c.protocol, c.target, c.fraction, c.seed): c.config_hash
        for c in expand_grid(parse_suite(_suite()))
    }
    again = {
        (c.backbone, c.protocol, c.target, c.fraction, c.seed): c.config_hash
        for c in expand_grid(parse_suite(_suite()))
    }
    assert first == again
    longer = _suite(pretrain=[{"name": "mae_tiny", "dataset": "survey", "settings": {"epochs": 2}}])
    changed = {
        (c.backbone, c.protocol, c.target, c.fraction, c.seed): c.config_hash
        for c in expand_grid(parse_suite(longer))
    }
    key = ("pretrained:mae_tiny", "knn", "label", 1.0, 0)
    assert changed[key] != first[key]  # a different pretraining recipe is a different result
    other = ("vit_tiny_p8", "knn", "label", 1.0, 0)
    assert changed[other] == first[other]


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"backbones": ["pretrained:nope"]}, "names no pretrain step"),
        ({"fractions": [0.0]}, "label fractions"),
        ({"protocols": [{"name": "knn", "backbones": ["other"]}]}, "not in the suite"),
        ({"datasets": {"s": {"targets": ["label"]}}}, "exactly one of"),
        ({"colour": "red"}, "colour"),
        ({"seeds": [0, 0]}, "listed more than once: 0"),
        ({"backbones": ["vit_tiny_p8", "vit_tiny_p8"]}, "listed more than once"),
        (
            {"datasets": {"survey": {"synth": {"n": 9}, "targets": []}, "x": {"synth": {"n": 9}}}},
            "dataset 'x' has no targets and no pretrain step uses it",
        ),
        (
            {"datasets": {"survey": {"synth": {"n": 9}}}},
            "no dataset has targets",
        ),
    ],
)
def test_bad_suites_raise_one_config_error(changes: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_suite(_suite(**changes))


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_suite(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_suite(bad)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(_suite()))
    assert load_suite(good).name == "t"


def test_a_protocol_listed_twice_alike_is_one_cell_per_grid_point() -> None:
    once = expand_grid(parse_suite(_suite(protocols=["knn"])))
    twice = expand_grid(parse_suite(_suite(protocols=["knn", "knn"])))
    assert [c.config_hash for c in twice] == [c.config_hash for c in once]


def test_dataset_rewritten_in_place_with_same_size_gets_new_cell_hashes(
    tmp_path: Path, small_cutouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import h5py
    import numpy as np

    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    raw = _suite(
        datasets={"mine": {"path": str(small_cutouts), "targets": ["label"]}},
        pretrain=[],
        backbones=["vit_tiny_p8"],
        protocols=["knn"],
    )
    before = {c.config_hash for c in expand_grid(parse_suite(raw))}
    size = small_cutouts.stat().st_size
    with h5py.File(small_cutouts, "r+") as h5:  # relabel in place: same size on disk
        labels = h5["catalog/label"][()]
        h5["catalog/label"][...] = np.roll(labels, 1)
    assert small_cutouts.stat().st_size == size
    after = {c.config_hash for c in expand_grid(parse_suite(raw))}
    assert before.isdisjoint(after)
    assert {c.config_hash for c in expand_grid(parse_suite(raw))} == after  # stable again


def test_a_dataset_without_targets_is_pretrained_on_and_has_no_cells() -> None:
    datasets = {
        "desi": {"synth": {"preset": "desi-ls", "n": 50}},
        "survey": {"synth": {"preset": "sdss", "n": 50}, "targets": ["label"]},
    }
    pretrain = [{"name": "mae_tiny", "dataset": "desi", "settings": {"epochs": 1}}]
    cells = expand_grid(parse_suite(_suite(datasets=datasets, pretrain=pretrain)))
    assert {c.dataset for c in cells} == {"survey"}
    assert len(cells) == 2 * 2 * 2 + 1 * 2 * 2  # knn on both backbones, scratch on one; x 2 x 2
