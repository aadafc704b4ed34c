"""YAML for user files (suites): safe types only, and no alias bombs.

`yaml.safe_load` builds no arbitrary objects, but it still expands anchors and aliases: nine
nested aliases of nine ("billion laughs") make a 500-byte file into 10⁹ values as soon as the
result is walked or written as JSON. This loader refuses more than a few aliases, and refuses a
document whose expanded size passes a node budget.
"""

from __future__ import annotations

from typing import Any

import yaml

from astrobench.errors import ConfigError

MAX_ALIASES = 64
MAX_EXPANDED_NODES = 200_000


class _BudgetLoader(yaml.SafeLoader):
    """SafeLoader that counts alias references while composing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.n_aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.n_aliases += 1
            if self.n_aliases > MAX_ALIASES:
                raise ConfigError(
                    f"more than {MAX_ALIASES} YAML aliases (*name): refused as a possible alias "
                    "bomb",
                    "write the values out instead of referencing anchors",
                )
        return super().compose_node(parent, index)


def expanded_size(value: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """Number of values in `value` once every shared reference is expanded (memoised, capped)."""
    memo: dict[int, int] = {}

    def size(item: Any) -> int:
        key = id(item)
        if key in memo:
            return memo[key]
        if isinstance(item, dict):
            total = 1 + sum(size(k) + size(v) for k, v in item.items())
        elif isinstance(item, (list, tuple)):
            total = 1 + sum(size(v) for v in item)
        else:
            total = 1
        memo[key] = min(total, limit + 1)
        return memo[key]

    return size(value)


def load_yaml(text: str, source: str = "YAML") -> Any:
    """Parse `text` with safe types; ConfigError on bad YAML or an alias bomb."""
    try:
        value = yaml.load(text, Loader=_BudgetLoader)
    except yaml.YAMLError as error:
        first = " ".join(str(error).split())[:200]
        raise ConfigError(f"{source} is not valid YAML: {first}") from error
    except RecursionError as error:
        raise ConfigError(f"{source} nests too deeply", "flatten the YAML") from error
    if expanded_size(value) > MAX_EXPANDED_NODES:
        raise ConfigError(
            f"{source} expands to more than {MAX_EXPANDED_NODES:,} values (anchors and aliases)",
            "write the values out instead of referencing anchors",
        )
    return value
