"""`--set KEY=VALUE` on a suite: change one value of the YAML without editing the file.

    astrobench bench configs/astroclip.yaml --set datasets.desi.synth.n=5000 --out runs/a5000

KEY is a dotted path through the suite's mappings and lists (`pretrain.0.settings.epochs`: list
items by their index); VALUE is read as YAML (`5000` a number, `[0, 1]` a list, `true` a
boolean, anything else a string). The last key may be new (the suite's validation then decides
whether it is allowed); every key before it must already exist. The changed suite is validated
exactly as a file would be, so its cells' identities change with the values — a run with
`--set` never reuses a cell of a different configuration.
"""

from __future__ import annotations

import copy
from typing import Any

from astrobench.errors import ConfigError
from astrobench.safe_yaml import load_yaml

HINT = "write KEY=VALUE with KEY a dotted path of the suite, e.g. datasets.desi.synth.n=5000"


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.0.c=value` -> (["a", "b", "0", "c"], parsed value)."""
    key, sep, value = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(part.strip() for part in parts):
        raise ConfigError(f"--set {text!r} is not KEY=VALUE", HINT)
    return [part.strip() for part in parts], load_yaml(value, source=f"--set {key.strip()}")


def _child(node: Any, part: str, path: str) -> Any:
    """One step down: a mapping's key or a list's index; a missing step is a ConfigError."""
    if isinstance(node, dict):
        if part not in node:
            raise ConfigError(f"--set {path}: the suite has no key {part!r} here", HINT)
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, path)]
    raise ConfigError(f"--set {path}: {part!r} is below a single value, not a mapping", HINT)


def _index(node: list[Any], part: str, path: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(
            f"--set {path}: {part!r} is not an index of this list (0 to {len(node) - 1})", HINT
        )
    return int(part)


def apply_overrides(raw: Any, overrides: list[str]) -> Any:
    """A copy of the raw suite mapping with each `KEY=VALUE` applied in order."""
    result = copy.deepcopy(raw)
    for text in overrides:
        parts, value = parse_override(text)
        path = ".".join(parts)
        node = result
        for part in parts[:-1]:
            node = _child(node, part, path)
        last = parts[-1]
        if isinstance(node, dict):
            node[last] = value
        elif isinstance(node, list):
            node[_index(node, last, path)] = value
        else:
            raise ConfigError(f"--set {path}: {last!r} is below a single value", HINT)
    return result
