"""The generic registry: register, look up, helpful unknown-name errors."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from astrobench.errors import ConfigError, UnknownNameError
from astrobench.registry import Registry


def test_register_and_get() -> None:
    registry: Registry = Registry("widget")

    @registry.register("round")
    def make_round() -> str:
        return "round"

    assert registry.get("round") is make_round
    assert "round" in registry
    assert registry.names() == ["round"]
    assert list(registry) == ["round"]


def test_unknown_name_suggests_close_matches() -> None:
    registry: Registry = Registry("widget")
    registry.register("vit_tiny_p8")(object())
    with pytest.raises(UnknownNameError, match="unknown widget 'vit_tiny_p9'") as caught:
        registry.get("vit_tiny_p9")
    assert "unknown widget 'vit_tiny_p9'" in caught.value.one_line()
    assert "did you mean vit_tiny_p8" in caught.value.one_line()


def test_registering_two_objects_under_one_name_fails() -> None:
    registry: Registry = Registry("widget")
    registry.register("a")(1)
    with pytest.raises(ConfigError, match="registered twice"):
        registry.register("a")(2)


def test_package_modules_register_themselves_on_first_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "plugins_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "blue.py").write_text(
        "from tests_registry_target import REGISTRY\n"
        "@REGISTRY.register('blue')\n"
        "def blue():\n    return 'blue'\n"
    )
    registry: Registry = Registry("colour", package="plugins_for_test")
    target = types.ModuleType("tests_registry_target")
    target.REGISTRY = registry  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_registry_target", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry.names() == ["blue"]  # no hand-kept list: the module registered itself
    assert registry.get("blue")() == "blue"
