"""A pretrainer's settings model, derived from its function signature (defaults in one place).

A pretrainer is a registered function `fn(data, out, *, setting=default, ...)`; its keyword
parameters, with their annotations and defaults, are its settings. Suites are checked against
this model when loaded, so a misspelled or mistyped key fails before anything runs.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import create_model

from astrobench.protocols.settings import StrictSettings

_SUPPLIED = {"data", "out", "progress", "resume"}  # given by the runner, not by a suite


@cache
def pretrainer_settings_model(pretrainer: Callable[..., Any]) -> type[StrictSettings]:
    """A strict pydantic model of the pretrainer's keyword settings."""
    hints = typing.get_type_hints(pretrainer)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(pretrainer).parameters.items():
        if name in _SUPPLIED or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[name] = (hints.get(name, Any), default)
    name = f"{getattr(pretrainer, '__name__', 'Pretrainer').title().replace('_', '')}Settings"
    return create_model(name, __base__=StrictSettings, **fields)
