"""The one record of library versions stored with checkpoints, embedding caches and results."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence

VERSIONED_LIBRARIES = (
    "astrobench",
    "torch",
    "timm",
    "numpy",
    "scikit-learn",
    "transformers",
    "peft",
)


def library_versions(packages: Sequence[str] = VERSIONED_LIBRARIES) -> dict[str, str]:
    """Python's version and the installed version of each of `packages` ("absent" if missing).

    Args:
        packages: distribution names to look up with importlib.metadata.
    """
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions
