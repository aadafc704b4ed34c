"""Pretraining's split seed: recorded in the sidecar, and probes on the same file must match it."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.splits import split_indices
from astrobench.errors import ConfigError
from astrobench.models.encoder_provenance import check_encoder_split, legacy_fingerprint
from astrobench.pretrain.image_data import build_pretrain_data

PRETRAIN_SPLIT_SEED = 1


@pytest.fixture(scope="module")
def pretrained(
    tmp_path_factory: pytest.TempPathFactory, blob_writer: Callable[..., Path]
) -> tuple[Path, Path]:
    """(data file, encoder folder) of a 1-epoch MAE pretrained with split_seed 1."""
    import torch

    from astrobench.pretrain.mae_pretrainer import pretrain_mae

    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("split")
    data = blob_writer(folder / "blobs.h5", 30)
    out = folder / "mae"
    pretrain_mae(data, out, patch=4, epochs=1, batch_size=8, seed=5, split_seed=PRETRAIN_SPLIT_SEED)
    return data, out


def _probe(run_cli: Any, data: Path, encoder: Path, split_seed: int, cache: Path) -> Any:
    return run_cli(
        "probe", "--backbone", f"ckpt:{encoder / 'encoder.safetensors'}", "--data", data,
        "--target", "label", "--protocol", "knn", "--fractions", "1.0", "--seeds", "0",
        "--split-seed", split_seed, "--cache-dir", cache,
    )  # fmt: skip


def test_sidecar_records_split_seed_and_the_sha256_of_the_file(
    pretrained: tuple[Path, Path],
) -> None:
    data, out = pretrained
    sidecar = json.loads((out / "encoder.json").read_text())
    assert sidecar["split_seed"] == PRETRAIN_SPLIT_SEED
    assert sidecar["data_hash"] == hashlib.sha256(data.read_bytes()).hexdigest()


def test_probe_with_another_split_seed_exits_2_with_one_line(
    pretrained: tuple[Path, Path], run_cli: Any, tmp_path: Path
) -> None:
    data, out = pretrained
    code, _, stderr = _probe(run_cli, data, out, 0, tmp_path)
    assert code == 2, stderr
    assert len(stderr.strip().splitlines()) == 1
    assert "was pretrained on this file with split_seed 1" in stderr
    assert "probing with split_seed 0 would test on objects it saw" in stderr
    assert "--split-seed 1" in stderr
    code, _, stderr = _probe(run_cli, data, out, PRETRAIN_SPLIT_SEED, tmp_path)
    assert code == 0, stderr


def test_finetune_with_another_split_seed_is_refused_before_training(
    pretrained: tuple[Path, Path],
) -> None:
    from astrobench.protocols.base import ProtocolRequest
    from astrobench.registry import PROTOCOLS
    from astrobench.tasks.resolve import resolve_task

    data, out = pretrained
    with CutoutFile(data) as cutouts:
        task = resolve_task(cutouts, "label")
    request = ProtocolRequest(
        f"ckpt:{out / 'encoder.safetensors'}",
        data,
        task,
        settings={"split_seed": 0, "train": {"epochs": 1}},
    )
    with pytest.raises(ConfigError, match="pretrained on this file with split_seed 1"):
        PROTOCOLS.get("finetune")(request)


def test_no_test_object_of_the_matching_split_was_pretrained_on(
    pretrained: tuple[Path, Path],
) -> None:
    data, _ = pretrained
    seen = build_pretrain_data(data, batch_size=8, split_seed=PRETRAIN_SPLIT_SEED).train.indices
    with CutoutFile(data) as cutouts:
        same = split_indices(cutouts, seed=PRETRAIN_SPLIT_SEED)["test"]
        other = split_indices(cutouts, seed=0)["test"]
    assert same.size > 0 and not set(same.tolist()) & set(seen.tolist())
    # Without the check, split seed 0 would test on pretraining objects:
    assert set(other.tolist()) & set(seen.tolist())


def _with_sidecar(out: Path, tmp: Path, **changes: Any) -> str:
    copy = tmp / "enc"
    shutil.copytree(out, copy)
    sidecar = json.loads((copy / "encoder.json").read_text())
    for key, value in changes.items():
        if value is None:
            sidecar.pop(key, None)
        else:
            sidecar[key] = value
    (copy / "encoder.json").write_text(json.dumps(sidecar))
    return f"ckpt:{copy / 'encoder.safetensors'}"


def test_an_old_sidecar_without_split_seed_means_zero(
    pretrained: tuple[Path, Path], tmp_path: Path
) -> None:
    data, out = pretrained
    spec = _with_sidecar(out, tmp_path, split_seed=None, data_hash=legacy_fingerprint(data))
    check_encoder_split(spec, data, 0, tmp_path)
    with pytest.raises(ConfigError, match="with split_seed 0; probing with split_seed 1"):
        check_encoder_split(spec, data, 1, tmp_path)


def test_other_files_other_backbones_and_fixed_splits_pass(
    pretrained: tuple[Path, Path], tmp_path: Path, blob_writer: Callable[..., Path]
) -> None:
    from astrobench.data.cutout_writer import write_cutouts

    data, out = pretrained
    spec = f"ckpt:{out / 'encoder.safetensors'}"
    check_encoder_split(spec, blob_writer(tmp_path / "other.h5", 30, seed=9), 0, tmp_path)
    check_encoder_split("vit_tiny_p8", data, 0, tmp_path)
    with CutoutFile(data) as cutouts:
        images = cutouts.read_images(np.arange(len(cutouts)))
        catalog = {"object_id": np.arange(len(cutouts)), "split": np.arange(len(cutouts)) % 3}
    fixed = write_cutouts(
        tmp_path / "fixed.h5", images, catalog, bands=list("ugriz"), pixel_scale_arcsec=0.4
    )
    spec = _with_sidecar(out, tmp_path, data_hash=hashlib.sha256(fixed.read_bytes()).hexdigest())
    check_encoder_split(spec, fixed, 0, tmp_path)  # the file's own split: every seed agrees


def test_a_disjoint_pretraining_refuses_a_standard_probe(
    blob_writer: Callable[..., Path], tmp_path: Path, run_cli: Any
) -> None:
    import torch

    from astrobench.pretrain.mae_pretrainer import pretrain_mae

    torch.set_num_threads(1)
    data = blob_writer(tmp_path / "blobs.h5", 60)
    out = tmp_path / "mae"
    pretrain_mae(data, out, patch=4, epochs=1, batch_size=8, split_scheme="disjoint")
    assert json.loads((out / "encoder.json").read_text())["split_scheme"] == "disjoint"
    spec = f"ckpt:{out / 'encoder.safetensors'}"
    with pytest.raises(ConfigError, match="pretrained on this file with the disjoint split"):
        check_encoder_split(spec, data, 0, tmp_path / "cache")
    check_encoder_split(spec, data, 0, tmp_path / "cache", split_scheme="disjoint")
    code, _, stderr = _probe(run_cli, data, out, 0, tmp_path / "cache")
    assert code == 2 and "--split-scheme disjoint" in stderr and stderr.count("\n") == 1
