"""One shared synthetic file per test session: 300 sdss galaxies with spectra."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sdss_300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from astrobench.data.synth import synthesize

    out = tmp_path_factory.mktemp("synth") / "sdss_300.h5"
    return synthesize("sdss", 300, 7, out, workers=1, progress=False)
