"""A registered frozen protocol answers a ProtocolRequest on a real cutout file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import MissingColumnError
from astrobench.protocols.base import ProtocolRequest
from astrobench.registry import PROTOCOLS
from astrobench.tasks.resolve import resolve_task


def test_request_through_the_registry(small_cutouts: Path, tmp_path: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts:
        task = resolve_task(cutouts, "redshift")
    request = ProtocolRequest(
        backbone="vit_tiny_p8",
        data=small_cutouts,
        task=task,
        fraction=1.0,
        seed=0,
        cache_dir=tmp_path / "cache",
    )
    result = PROTOCOLS.get("linear")(request)
    assert result.protocol == "linear" and result.target == "redshift"
    assert result.n_train + result.n_val + result.n_test == 60
    assert result.params_total > result.params_trainable > 0
    assert np.isfinite(result.metrics["sigma_nmad"])
    again = PROTOCOLS.get("knn")(request)  # same embeddings, from memory this time
    np.testing.assert_array_equal(again.test_indices, result.test_indices)
    assert again.extra["embedding"]["from_cache"] is True


def test_absent_target_column(small_cutouts: Path) -> None:
    with CutoutFile(small_cutouts) as cutouts, pytest.raises(MissingColumnError, match="mass"):
        resolve_task(cutouts, "mass")
