"""Masked spectrum modelling: masks, the loss against a direct computation, the run end to end
(exported encoder reproduces the trained one, exact resume), and bad input."""

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

from astrobench.cli import main
from astrobench.models.spectrum.checkpoint import load_specformer
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig
from astrobench.pretrain.specformer_model import MaskedSpectrumModel, span_mask, windows_to_pixels

ARGS = ["--epochs", "2", "--batch-size", "8", "--seed", "2", "--n-spans", "3"]


def _run_cli(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "astrobench", "pretrain", "specformer", *args]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=600)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory, pair_writer: Callable[..., Path]) -> Path:
    return pair_writer(tmp_path_factory.mktemp("data") / "pairs.h5", 30)


@pytest.fixture(scope="module")
def finished_run(pairs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "spec"
    done = _run_cli(["--data", str(pairs), "--out", str(out), *ARGS])
    assert done.returncode == 0, done.stderr
    return out


def test_span_mask_hides_separate_spans_of_the_asked_length() -> None:
    torch.manual_seed(0)
    mask = span_mask(50, 40, 4, 3)
    assert mask.shape == (50, 40) and (mask.sum(dim=1) == 12).all()
    for row in mask.numpy():
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
        starts, stops = edges[::2], edges[1::2]
        assert ((stops - starts) % 3 == 0).all()  # adjacent spans may touch, never overlap
        for seg in range(4):  # one span inside each quarter
            assert row[seg * 10 : seg * 10 + 10].sum() == 3


def test_windows_to_pixels_averages_overlapping_masked_windows() -> None:
    values = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(2, 4, 4)
    mask = torch.tensor([[True, True, False, False], [False, False, False, True]])
    got = windows_to_pixels(values, mask, stride=2, n_pixels=10).numpy()
    expected = np.full((2, 10), np.nan)
    for b in range(2):
        sums, counts = np.zeros(10), np.zeros(10)
        for k in range(4):
            if mask[b, k]:
                sums[2 * k : 2 * k + 4] += values[b, k].numpy()
                counts[2 * k : 2 * k + 4] += 1
        expected[b] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    np.testing.assert_allclose(got, expected)


def test_loss_is_ivar_weighted_mse_on_hidden_windows_only() -> None:
    torch.manual_seed(0)
    model = MaskedSpectrumModel(SpecFormer(SpecFormerConfig(60, 1.0, 60.0)), 2, 1)
    flux = torch.randn(2, 60) * 2 + 4
    ivar = torch.rand(2, 60) + 0.5
    mask = torch.zeros(2, 5, dtype=torch.bool)
    mask[0, 1], mask[1, 3] = True, True
    loss = model(flux, ivar, mask).detach()
    pred, target, _ = model.reconstruct(flux, mask)
    total, weight_sum = 0.0, 0.0
    for b in range(2):
        rel = (ivar[b] / ivar[b].mean()).numpy()
        for k in range(5):
            if mask[b, k]:
                w = rel[10 * k : 10 * k + 20]
                diff = (pred[b, k] - target[b, k]).detach().numpy()
                total += float((w * diff**2).sum())
                weight_sum += float(w.sum())
    assert float(loss) == pytest.approx(total / weight_sum, rel=1e-5)


def test_run_exports_an_encoder_that_reproduces_itself(finished_run: Path, pairs: Path) -> None:
    history = json.loads((finished_run / "history.json").read_text())
    assert [row["epoch"] for row in history["epochs"]] == [0, 1]
    assert history["spectra_per_second"] > 0
    sidecar = json.loads((finished_run / "encoder.json").read_text())
    assert sidecar["family"] == "specformer" and sidecar["modality"] == "spectrum"
    assert sidecar["wavelength"] == {
        "n_pixels": 200,
        "min_angstrom": 4000.0,
        "max_angstrom": 8000.0,
    }
    assert sidecar["pretrainer"]["inverse_variance_weights"] is True
    assert (finished_run / "recon.png").read_bytes()[:4] == b"\x89PNG"
    encoder = load_specformer(finished_run)
    from astrobench.data.spectrum_dataset import read_spectra

    flux, _ = read_spectra(pairs, np.arange(4))
    state = torch.load(
        finished_run / "checkpoints" / "last.pt", weights_only=True, map_location="cpu"
    )["model"]
    trained = SpecFormer(encoder.config)
    trained.load_state_dict(
        {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}
    )
    with torch.no_grad():
        torch.testing.assert_close(
            encoder.forward_features(torch.from_numpy(flux)),
            trained.eval().forward_features(torch.from_numpy(flux)),
        )


def test_sigkill_then_resume_reproduces_the_uninterrupted_run(
    pairs: Path, finished_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = ["--data", str(pairs), "--out", str(out), *ARGS]
    killed = _run_cli(args, {"ASTROBENCH_TEST_KILL_AT_STEP": "3"})  # inside epoch 2
    assert killed.returncode == -9, killed.stderr
    assert not (out / "encoder.safetensors").exists()
    assert _run_cli([*args, "--resume"]).returncode == 0
    from safetensors.torch import load_file

    a = load_file(str(out / "encoder.safetensors"))
    b = load_file(str(finished_run / "encoder.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _bad_input(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> str:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        main(["pretrain", "specformer", "--data", str(data), "--out", str(out), *ARGS, *extra])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1, err
    assert not (out / "encoder.safetensors").exists() and not (out / "encoder.json").exists()
    return err


def test_file_without_spectra_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], blob_writer: Callable[..., Path]
) -> None:
    data = blob_writer(tmp_path / "blobs.h5", 24)
    assert "has no spectra" in _bad_input(tmp_path, data, capsys, [])


def test_nan_flux_is_named_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pair_writer: Callable[..., Path]
) -> None:
    data = pair_writer(tmp_path / "nan.h5", 30, nan_object=7)
    assert "object 7 has NaN or infinite spectrum fluxes" in _bad_input(tmp_path, data, capsys, [])


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--batch-size", "64"], "fewer than one batch"),
        (["--size", "huge"], "unknown spectrum encoder size"),
        (["--span-tokens", "9"], "do not fit"),
    ],
)
def test_bad_settings_are_one_line(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str
) -> None:
    assert fragment in _bad_input(tmp_path, pairs, capsys, extra)
