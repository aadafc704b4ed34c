"""One generic registry; every extension point (datasets, backbones, protocols, ...) is an instance.

Entries register themselves with a decorator when their module is imported. A registry knows the
package holding its built-in entries and imports every module in it on first lookup, so there is
no hand-kept list of names anywhere.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from astrobench.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object mapping for one kind of extension point."""

    def __init__(self, kind: str, package: str | None = None) -> None:
        self.kind = kind
        self._package = package
        self._entries: dict[str, T] = {}
        self._populated = package is None

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: `@REGISTRY.register("name")` adds the decorated object under `name`."""

        def decorate(obj: T) -> T:
            if name in self._entries and self._entries[name] is not obj:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return decorate

    def get(self, name: str) -> T:
        """The entry called `name`, or an UnknownNameError listing close matches."""
        self._populate()
        if name in self._entries:
            return self._entries[name]
        close = difflib.get_close_matches(name, list(self._entries), n=3)
        suggestion = f"did you mean {', '.join(close)}? " if close else ""
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}",
            f"{suggestion}known: {', '.join(sorted(self._entries)) or 'none'}",
        )

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._populate()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._populate()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _populate(self) -> None:
        if self._populated or self._package is None:
            return
        self._populated = True
        package = importlib.import_module(self._package)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{self._package}."):
            importlib.import_module(module.name)


# The extension points. Each imports its built-in entries from the named package on first use.
BACKBONES: Registry = Registry("backbone", package="astrobench.models.backbones")
DATASETS: Registry = Registry("dataset", package="astrobench.data.datasets")
PROTOCOLS: Registry = Registry("protocol", package="astrobench.protocols")
PRETRAINERS: Registry = Registry("pretrainer", package="astrobench.pretrain")
TASKS: Registry = Registry("task", package="astrobench.tasks")
ENCODER_FAMILIES: Registry = Registry("encoder family", package="astrobench.models.families")
VOTE_SCHEMAS: Registry = Registry("vote schema", package="astrobench.data.votes")

register_backbone = BACKBONES.register
register_dataset = DATASETS.register
register_protocol = PROTOCOLS.register
register_pretrainer = PRETRAINERS.register
register_task = TASKS.register
register_encoder_family = ENCODER_FAMILIES.register
register_vote_schema = VOTE_SCHEMAS.register
