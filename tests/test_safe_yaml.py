"""User YAML: safe types, a budget on aliases and on the expanded size."""

from __future__ import annotations

import pytest

from astrobench.errors import ConfigError
from astrobench.safe_yaml import MAX_ALIASES, expanded_size, load_yaml


def test_ordinary_anchors_still_work() -> None:
    value = load_yaml("base: &b {lr: 0.1}\na: *b\nc: *b\n")
    assert value == {"base": {"lr": 0.1}, "a": {"lr": 0.1}, "c": {"lr": 0.1}}


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ConfigError, match="alias bomb"):
        load_yaml(text)


def test_few_aliases_that_expand_exponentially_are_refused() -> None:
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    with pytest.raises(ConfigError, match="expands to more than"):
        load_yaml("\n".join(lines))


def test_expanded_size_counts_shared_references_once_per_use() -> None:
    shared = [1, 2, 3]
    assert expanded_size([shared, shared]) == 1 + 2 * 4


def test_python_objects_are_not_built() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml("!!python/object/apply:os.system ['true']")
