"""A results folder made through the real store, with predictions, for report tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from astrobench.bench.store import ResultRow, ResultsStore, predictions_relpath
from astrobench.metrics import classification, photoz

EVIL = "<script>alert(1)</script>"
CLASS_NAMES = ["Round Smooth", f"Spiral {EVIL}", "Edge-on & bulge"]


def _row(
    key: str,
    task: str,
    backbone: str,
    protocol: str,
    fraction: float,
    seed: int,
    metrics: dict[str, float],
    kind: str,
) -> ResultRow:
    headline, higher = ("accuracy", True) if kind == "classification" else ("sigma_nmad", False)
    return ResultRow(
        config_hash=key,
        run_id=key,
        suite="unit",
        dataset="survey",
        task=task,
        task_kind=kind,
        backbone=backbone,
        protocol=protocol,
        fraction=fraction,
        seed=seed,
        headline_metric=headline,
        higher_is_better=higher,
        metrics=metrics,
        intervals={headline: [metrics[headline] * 0.9, metrics[headline] * 1.1]},
        params_total=5_400_000,
        params_trainable=1000,
        train_seconds=1.5,
        eval_seconds=0.2,
        throughput_per_second=500.0,
        peak_ram_bytes=10**9,
        peak_gpu_bytes=0,
        energy_kwh=2e-5,
        co2_kg=1e-5,
        energy_method="estimated",
        device="cpu",
        library_versions={"torch": "2"},
        git_sha="abc",
        predictions_path=predictions_relpath(key),
        config={"task_spec": {"class_names": CLASS_NAMES}},
        extra={"wall_seconds": 2.0},
    )


def _save(folder: Path, key: str, arrays: dict[str, Any]) -> None:
    path = folder / predictions_relpath(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """Two backbones (one with a hostile name) x two protocols x two fractions x two seeds, on a
    classification and a photo-z task; every stored metric is computed from its predictions."""
    rng = np.random.default_rng(0)
    store = ResultsStore(tmp_path)
    for b_index, backbone in enumerate(["vit_tiny_p8", f"evil{EVIL}"]):
        for protocol in ("knn", "linear"):
            for fraction in (0.1, 1.0):
                for seed in (0, 1):
                    key = f"c{b_index}{protocol}{fraction}{seed}"
                    y_true = rng.integers(0, 3, 60)
                    y_pred = np.where(
                        rng.random(60) < 0.4 + 0.4 * fraction, y_true, rng.integers(0, 3, 60)
                    )
                    _save(tmp_path, key, {"y_true": y_true, "y_pred": y_pred})
                    metrics = {"accuracy": classification.accuracy(y_true, y_pred)}
                    store.insert(
                        _row(
                            key,
                            "label",
                            backbone,
                            protocol,
                            fraction,
                            seed,
                            metrics,
                            "classification",
                        )
                    )
                    key = f"z{b_index}{protocol}{fraction}{seed}"
                    z = rng.uniform(0.02, 0.4, 80)
                    z_hat = z + rng.normal(0, 0.03 / fraction**0.5, 80) * (1 + z)
                    _save(tmp_path, key, {"y_true": z, "y_pred": z_hat})
                    metrics = photoz.photoz_metrics(z, z_hat)
                    store.insert(
                        _row(key, "redshift", backbone, protocol, fraction, seed, metrics, "photoz")
                    )
    maps = tmp_path / "maps"
    maps.mkdir()
    import json

    for backbone in ("vit_tiny_p8", f"evil{EVIL}"):
        meta = {"dataset": "survey", "backbone": backbone, "method": "PCA", "names": CLASS_NAMES}
        np.savez(
            maps / f"survey__{abs(hash(backbone))}.npz",
            xy=rng.normal(size=(50, 2)),
            colour=rng.integers(0, 3, 50),
            indices=np.arange(50),
            meta=np.array(json.dumps(meta)),
        )
    return tmp_path
