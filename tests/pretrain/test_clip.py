"""CLIP alignment: InfoNCE against independent computations, the head against explicit
attention, cached tokens against recomputed ones, the run end to end (export, frozen towers,
exact resume, unfreezing) and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss

from astrobench.cli import main
from astrobench.models.aligned.checkpoint import load_aligned
from astrobench.models.aligned.head import CrossAttentionHead, HeadConfig
from astrobench.pretrain.clip_cache import tower_tokens
from astrobench.pretrain.clip_loss import info_nce
from astrobench.pretrain.clip_model import ClipModel
from astrobench.pretrain.clip_towers import build_towers, freeze

TOWERS = ["--image", "vit_tiny_p4", "--spectrum", "specformer_tiny"]
ARGS = [*TOWERS, "--epochs", "2", "--batch-size", "8", "--seed", "1", "--embed-dim", "32"]


def _run_cli(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "astrobench", "pretrain", "clip", *args]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=600)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory, pair_writer: Callable[..., Path]) -> Path:
    return pair_writer(tmp_path_factory.mktemp("data") / "pairs.h5", 30)


@pytest.fixture(scope="module")
def finished_run(pairs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "clip"
    done = _run_cli(["--data", str(pairs), "--out", str(out), *ARGS])
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("scale", [1.0, 15.5])
def test_info_nce_equals_symmetric_cross_entropy_over_the_similarity_matrix(scale: float) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    loss = float(info_nce(torch.tensor(a), torch.tensor(b), scale))
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = scale * an @ bn.T  # [6, 6]
    labels = np.arange(6)

    def softmax(m: np.ndarray) -> np.ndarray:
        e = np.exp(m - m.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    by_sklearn = 0.5 * (
        log_loss(labels, softmax(sim), labels=labels)
        + log_loss(labels, softmax(sim.T), labels=labels)
    )
    by_loops = 0.0
    for i in range(6):
        by_loops -= 0.5 / 6 * (sim[i, i] - np.log(sum(np.exp(sim[i, j]) for j in range(6))))
        by_loops -= 0.5 / 6 * (sim[i, i] - np.log(sum(np.exp(sim[j, i]) for j in range(6))))
    assert loss == pytest.approx(by_sklearn, rel=1e-9) and loss == pytest.approx(by_loops, rel=1e-9)


@pytest.mark.parametrize("residual", [False, True])
def test_head_is_learned_query_attention_then_mlp(residual: bool) -> None:
    torch.manual_seed(0)
    head = CrossAttentionHead(HeadConfig(token_dim=6, embed_dim=8, heads=2, residual=residual))
    tokens = torch.randn(3, 5, 6)
    with torch.no_grad():
        got = head(tokens)
        t = head.norm_tokens(tokens)
        k, v = head.key(t), head.value(t)  # [3, 5, 8]
        q = head.query[0, 0]  # [8]
        pooled = torch.empty(3, 8)
        for h in range(2):
            part = slice(4 * h, 4 * h + 4)
            weights = ((k[:, :, part] @ q[part]) / 2.0).softmax(dim=1)  # [3, 5], 1/sqrt(4)
            pooled[:, part] = (weights[:, :, None] * v[:, :, part]).sum(dim=1)
            torch.testing.assert_close(head.attention_weights(tokens)[:, h], weights)
        z = head.out(pooled)
        expected = head.mlp(head.norm(z)) + (z if residual else 0.0)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert torch.allclose(head.embed(tokens).norm(dim=1), torch.ones(3))


def test_cached_tokens_give_the_loss_of_recomputed_towers(pairs: Path, tmp_path: Path) -> None:
    towers = build_towers(pairs, "vit_tiny_p4", "specformer_tiny")
    freeze(towers.image)
    freeze(towers.spectrum)
    indices = np.array([3, 0, 7, 5])
    memory = tower_tokens(towers, pairs, indices, "memory")
    disk = tower_tokens(towers, pairs, indices, "disk", tmp_path / "cache", "h")
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(files) == 2 and all(name.endswith(".npy") for name in files)
    again = tower_tokens(towers, pairs, indices, "disk", tmp_path / "cache", "h")
    assert isinstance(again["image"], np.memmap)  # read back, not recomputed
    np.testing.assert_array_equal(memory["spectrum"], disk["spectrum"])
    from astrobench.data.cutout_file import CutoutFile
    from astrobench.data.spectrum_dataset import read_spectra

    with CutoutFile(pairs) as cutouts:
        images = torch.from_numpy(cutouts.read_images(indices))
    flux = torch.from_numpy(read_spectra(pairs, indices)[0])
    torch.manual_seed(0)
    heads = (
        CrossAttentionHead(HeadConfig(192, 16, 2)),
        CrossAttentionHead(HeadConfig(64, 16, 2, True)),
    )
    model = ClipModel(*heads, towers=towers)
    with torch.no_grad():
        raw = model({"image": images, "spectrum": flux})
        cached = model(
            {
                "image_tokens": torch.from_numpy(memory["image"].astype(np.float32)),
                "spectrum_tokens": torch.from_numpy(memory["spectrum"].astype(np.float32)),
            }
        )
    assert float(cached) == pytest.approx(float(raw), rel=2e-3)  # tokens stored as float16


def test_run_exports_both_aligned_towers(finished_run: Path, pairs: Path) -> None:
    history = json.loads((finished_run / "history.json").read_text())
    assert [r["epoch"] for r in history["epochs"]] == [0, 1] and history["pairs_per_second"] > 0
    assert 0.0 <= history["validation"]["image_to_spectrum_recall@1"] <= 1.0
    from astrobench.models.create import create_backbone
    from astrobench.models.spectrum.create import create_spectrum_encoder

    for modality, family in (("image", "clip-image"), ("spectrum", "clip-spectrum")):
        sidecar = json.loads((finished_run / modality / "encoder.json").read_text())
        assert sidecar["family"] == family and sidecar["modality"] == modality
        assert sidecar["logit_scale"] == pytest.approx(15.5)
    image = load_aligned(finished_run, "image")
    spectrum = load_aligned(finished_run, "spectrum")
    assert image.modality == "image" and spectrum.modality == "spectrum"
    assert image.num_features == 32 and spectrum.num_features == 32
    # frozen towers: the exported towers are the untouched random-init towers
    fresh_image = create_backbone("vit_tiny_p4", bands=["g", "r", "z"], img_size=16)
    grid = np.linspace(4000.0, 8000.0, 200)
    fresh_spectrum = create_spectrum_encoder("specformer_tiny", grid)
    assert image.tower.weights_hash() == fresh_image.weights_hash()
    assert spectrum.tower.weights_hash() == fresh_spectrum.weights_hash()
    # the exported heads are the trained ones from the last checkpoint
    state = torch.load(finished_run / "checkpoints" / "last.pt", weights_only=True)["model"]
    for name, value in image.head.state_dict().items():
        assert torch.equal(value, state[f"image_head.{name}"])
    with torch.no_grad():
        z = spectrum.forward_features(torch.randn(2, 200) + 5)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(2))


def test_sigkill_then_resume_reproduces_the_uninterrupted_run(
    pairs: Path, finished_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = ["--data", str(pairs), "--out", str(out), *ARGS]
    killed = _run_cli(args, {"ASTROBENCH_TEST_KILL_AT_STEP": "3"})
    assert killed.returncode == -9, killed.stderr
    assert not (out / "image").exists()
    assert _run_cli([*args, "--resume"]).returncode == 0
    from safetensors.torch import load_file

    for modality in ("image", "spectrum"):
        a = load_file(str(out / modality / "encoder.safetensors"))
        b = load_file(str(finished_run / modality / "encoder.safetensors"))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_unfreeze_trains_the_towers(pairs: Path, tmp_path: Path) -> None:
    out = tmp_path / "unfrozen"
    args = ["--data", str(pairs), "--out", str(out), *ARGS, "--epochs", "1", "--unfreeze"]
    done = _run_cli(args)
    assert done.returncode == 0, done.stderr
    from astrobench.models.spectrum.create import create_spectrum_encoder

    tower = load_aligned(out, "spectrum").tower
    fresh = create_spectrum_encoder("specformer_tiny", np.linspace(4000.0, 8000.0, 200))
    assert tower.weights_hash() != fresh.weights_hash()


def _bad_input(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> str:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        main(["pretrain", "clip", "--data", str(data), "--out", str(out), *args])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1, err
    assert not (out / "image").exists() and not (out / "spectrum").exists()
    return err


def test_file_without_spectra_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], blob_writer: Callable[..., Path]
) -> None:
    data = blob_writer(tmp_path / "blobs.h5", 24)
    assert "has no spectra" in _bad_input(tmp_path, data, capsys, ARGS)


def test_nan_flux_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pair_writer: Callable[..., Path]
) -> None:
    data = pair_writer(tmp_path / "nan.h5", 30, nan_object=4)
    assert "object 4 has NaN" in _bad_input(tmp_path, data, capsys, ARGS)


def test_spectrum_tower_of_another_grid_is_refused(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from astrobench.models.spectrum.checkpoint import save_state, specformer_sidecar
    from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig

    other = SpecFormer(SpecFormerConfig(300, 3600.0, 9800.0))
    save_state(
        tmp_path / "spec",
        other.state_dict(),
        specformer_sidecar(other, epochs=1, data_hash="x", source="test"),
    )
    args = [
        "--image",
        "vit_tiny_p4",
        "--spectrum",
        f"ckpt:{tmp_path / 'spec'}",
        "--batch-size",
        "8",
    ]
    err = _bad_input(tmp_path, pairs, capsys, args)
    assert "200 pixels over 4000.0-8000.0 A" in err and "expects 300 pixels" in err


def test_image_tower_needing_absent_bands_is_refused(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from astrobench.models.encoder_checkpoint import save_encoder
    from astrobench.models.vit import build_vit

    sidecar = {
        "arch": "vit_tiny", "patch_size": 4, "img_size": 16, "in_chans": 5, "bands": list("ugriz"),
        "pooling": "mean", "layer": "plain", "normalisation": {"mean": [0.0] * 5, "std": [1.0] * 5},
        "data_hash": "x", "epochs": 1, "source": "test",
    }  # fmt: skip
    save_encoder(tmp_path / "mae", build_vit("vit_tiny", 4, 16, 5), sidecar)
    args = [
        "--image",
        f"ckpt:{tmp_path / 'mae'}",
        "--spectrum",
        "specformer_tiny",
        "--batch-size",
        "8",
    ]
    assert "u,g,r,i,z" in _bad_input(tmp_path, pairs, capsys, args)


def test_unknown_spectrum_tower_is_refused(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--image", "vit_tiny_p4", "--spectrum", "specformer_huge", "--batch-size", "8"]
    assert "unknown spectrum encoder size 'huge'" in _bad_input(tmp_path, pairs, capsys, args)
