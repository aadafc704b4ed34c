"""library_versions: the one record of versions."""

from __future__ import annotations

import platform

import numpy as np

from astrobench.versions import library_versions


def test_versions_are_installed_versions_and_absent_packages_say_so() -> None:
    versions = library_versions(("numpy", "no-such-package-astrobench"))
    assert versions == {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "no-such-package-astrobench": "absent",
    }
