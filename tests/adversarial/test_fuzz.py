"""Property-based and seeded-random damage: every command still ends in exit 0 or 2.

A few seeded cases run in `make test`; the long run is behind the `slow` marker:

    ASTROBENCH_FUZZ_CASES=500 pytest -m slow tests/adversarial/test_fuzz.py -s

It prints how many cases ran, how long they took and how many failed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.adversarial import hostile_files as hf
from tests.adversarial.harness import check_rule, run_in_process, snapshot

from astrobench.bench.suite import parse_suite
from astrobench.errors import AstrobenchError

FUZZ_CASES = int(os.environ.get("ASTROBENCH_FUZZ_CASES", "300"))
CHEAP_SEEDS = range(6)
EXAMPLES = int(os.environ.get("ASTROBENCH_FUZZ_EXAMPLES", "25"))
COMMANDS = (
    ["data", "info", "f.h5"],
    ["data", "info", "f.h5", "--json"],
    ["data", "validate", "f.h5"],
    ["embed", "--backbone", "vit_tiny_p8", "--data", "f.h5", "--batch-size", "8"],
)


def _damage_and_run(seed: int, folder: Path) -> list[str]:
    """One seeded random damage of a valid file, met by every command; the rule's violations."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    hf.valid_cutouts(folder / "f.h5", seed=seed)
    what = hf.mutate_randomly(folder / "f.h5", rng)
    problems = []
    for argv in COMMANDS:
        before = snapshot(folder)
        outcome = run_in_process(argv, folder)
        found = check_rule(outcome, before, snapshot(folder), ("home",))
        problems += [f"seed {seed} ({what}) {' '.join(argv[:2])}: {p}" for p in found]
    return problems


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.mark.parametrize("seed", CHEAP_SEEDS)
def test_seeded_random_damage(seed: int, isolated_home: Path) -> None:
    assert _damage_and_run(seed, isolated_home / "case") == []


@pytest.mark.slow
@pytest.mark.timeout(max(600, 4 * FUZZ_CASES))  # the run's length is chosen by the caller
def test_long_fuzz_of_random_damage(isolated_home: Path) -> None:
    started = time.perf_counter()
    problems: list[str] = []
    for seed in range(1000, 1000 + FUZZ_CASES):
        problems += _damage_and_run(seed, isolated_home / f"case{seed}")
    seconds = time.perf_counter() - started
    print(
        f"\nfuzz: {FUZZ_CASES} damaged files x {len(COMMANDS)} commands = "
        f"{FUZZ_CASES * len(COMMANDS)} runs in {seconds:.0f} s; {len(problems)} failed"
    )
    assert problems == [], problems[:10]


# --- hypothesis: suites, sidecars and label names built from arbitrary values -------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(allow_nan=True),
    st.text(max_size=12),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
_SUITE_KEYS = st.sampled_from(
    ["name", "datasets", "backbones", "protocols", "fractions", "seeds", "settings", "n_boot"]
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(_SUITE_KEYS, _VALUES, max_size=3))
def test_any_suite_is_valid_or_one_config_error(changes: dict[str, Any]) -> None:
    raw: dict[str, Any] = {
        "name": "h",
        "datasets": {"d": {"synth": {"n": 10}, "targets": ["label"]}},
        "backbones": ["vit_tiny_p8"],
        "protocols": ["knn"],
        **changes,
    }
    try:
        parse_suite(raw)
    except AstrobenchError as error:
        assert "\n" not in error.one_line()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(["patch_size", "img_size", "in_chans", "bands", "normalisation",
                            "pooling", "format", "version"]), value=_VALUES)  # fmt: skip
def test_any_sidecar_value_is_read_or_refused_in_one_line(
    key: str, value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from astrobench.models.encoder_checkpoint import read_sidecar

    folder = tmp_path_factory.mktemp("enc")
    (folder / "encoder.safetensors").write_bytes(b"")
    sidecar = {
        "format": "astrobench-encoder",
        "version": 1,
        "arch": "vit_tiny",
        "patch_size": 8,
        "img_size": 16,
        "in_chans": 3,
        "bands": ["g", "r", "z"],
        "pooling": "mean",
        "layer": "plain",
        "normalisation": {"mean": [0.0] * 3, "std": [1.0] * 3},
        "data_hash": "0",
        "epochs": 1,
        "source": "tests",
        key: value,
    }
    (folder / "encoder.json").write_text(json.dumps(sidecar))
    try:
        read_sidecar(folder)
    except AstrobenchError as error:
        assert "\n" not in error.one_line()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.binary(max_size=40)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40)
)
def test_any_label_names_attribute_is_read_or_refused(
    raw: bytes | str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from astrobench.data.cutout_file import CutoutFile

    path = tmp_path_factory.mktemp("ln") / "f.h5"
    hf.with_label_names(path, raw)
    try:
        with CutoutFile(path) as cutouts:
            names = cutouts.label_names
            cutouts.column("label")
        assert names is None or all(isinstance(n, str) for n in names)
    except AstrobenchError as error:
        assert "\n" not in error.one_line()
