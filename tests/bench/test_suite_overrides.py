"""`--set KEY=VALUE`: one value of a suite changed without editing the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from astrobench.bench.suite import expand_grid, load_suite
from astrobench.bench.suite_overrides import apply_overrides, parse_override
from astrobench.errors import ConfigError

RAW = {
    "name": "s",
    "datasets": {
        "d": {"synth": {"preset": "sdss", "n": 60, "seed": 0, "size": 16}, "targets": ["label"]}
    },
    "backbones": ["vit_tiny_p8"],
    "protocols": [{"name": "knn"}, {"name": "linear", "settings": {"max_iter": 50}}],
    "fractions": [1.0],
    "seeds": [0],
}


def _suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(json.dumps(RAW))
    return path


def test_values_are_read_as_yaml_and_land_at_their_path() -> None:
    changed = apply_overrides(
        RAW,
        [
            "datasets.d.synth.n=5000",
            "protocols.1.settings.max_iter=7",
            "seeds=[0, 1]",
            "name=other name",
            "protocols.0.label=fast",  # a new last key is allowed
        ],
    )
    assert changed["datasets"]["d"]["synth"]["n"] == 5000
    assert changed["protocols"][1]["settings"]["max_iter"] == 7
    assert changed["seeds"] == [0, 1]
    assert changed["name"] == "other name"
    assert changed["protocols"][0]["label"] == "fast"
    assert RAW["datasets"]["d"]["synth"]["n"] == 60  # the original is untouched
    assert parse_override(" a.b = 1.5") == (["a", "b"], 1.5)


def test_applied_in_order_the_last_one_wins() -> None:
    assert apply_overrides(RAW, ["seeds=[1]", "seeds=[2]"])["seeds"] == [2]


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ("seeds", "is not KEY=VALUE"),
        ("=3", "is not KEY=VALUE"),
        ("datasets..n=3", "is not KEY=VALUE"),
        ("datasets.nope.synth.n=3", "no key 'nope'"),
        ("protocols.5.settings.k=3", "'5' is not an index of this list"),
        ("protocols.x.name=knn", "'x' is not an index"),
        ("name.first=3", "below a single value"),
        ("seeds.3=1", "'3' is not an index"),
    ],
)
def test_a_bad_override_is_one_config_error(override: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        apply_overrides(RAW, [override])


def test_an_override_changes_the_cells_identity(tmp_path: Path) -> None:
    path = _suite_file(tmp_path)
    plain = {cell.config_hash for cell in expand_grid(load_suite(path))}
    bigger = load_suite(path, ["datasets.d.synth.n=80"])
    assert bigger.datasets["d"].synth is not None
    assert bigger.datasets["d"].synth.n == 80
    assert plain.isdisjoint(cell.config_hash for cell in expand_grid(bigger))
    assert {c.config_hash for c in expand_grid(load_suite(path, []))} == plain


def test_an_override_is_validated_like_the_file(tmp_path: Path) -> None:
    path = _suite_file(tmp_path)
    with pytest.raises(ConfigError, match="max_iterz"):
        load_suite(path, ["protocols.1.settings.max_iterz=3"])
    with pytest.raises(ConfigError, match="fractions"):
        load_suite(path, ["fractions=[2.0]"])


def test_cli_set_bad_key_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, run_cli: Any
) -> None:
    path = _suite_file(tmp_path)
    code, _out, err = run_cli("bench", path, "--out", tmp_path / "out", "--set", "datasets.x.n=1")
    assert code == 2
    assert "no key 'x'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
