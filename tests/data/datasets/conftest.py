"""Fixtures of the named-dataset tests: fake originals served over a local HTTP server."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from astrobench.data.datasets.base import Resource
from astrobench.data.download import file_digest
from astrobench.registry import DATASETS

from .local_http import serve_folder

FAKES_DIR = Path(__file__).parents[1]


def load_generator(folder: str) -> ModuleType:
    """The seeded fake-data generator `tests/data/<folder>/generate.py`."""
    spec = importlib.util.spec_from_file_location(
        f"fake_{folder}", FAKES_DIR / folder / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(folder, base URL): files written into the folder are downloadable from the URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve_folder(folder) as url:
        yield folder, url


@pytest.fixture
def point_at_fakes(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point a dataset's resources at served fakes, with true (or deliberately wrong) checksums."""

    def point(name: str, folder: Path, base_url: str, *, wrong_checksum: bool = False) -> None:
        cls = DATASETS.get(name)
        resources = []
        for resource in cls.resources:
            kind = resource.checksum_kind or "sha256"
            digest = file_digest(folder / resource.filename, kind)
            if wrong_checksum:
                digest = "0" * len(digest)
            resources.append(
                Resource(f"{base_url}/{resource.filename}", resource.filename, kind, digest)
            )
        monkeypatch.setattr(cls, "resources", tuple(resources))

    return point


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make name resolution fail, as on a machine with no network."""

    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
