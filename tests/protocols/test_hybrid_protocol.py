"""The hybrid protocol (AstroMAE's photo-z model) end to end on a tiny file, from the command
line and from Python; bad magnitudes and missing inputs exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.errors import ConfigError
from astrobench.metrics.photoz import photoz_metrics
from astrobench.models.encoder_checkpoint import save_encoder
from astrobench.models.vit import build_vit
from astrobench.protocols.base import ProtocolRequest
from astrobench.protocols.hybrid import HybridSettings, resolve_variant
from astrobench.registry import PROTOCOLS
from astrobench.tasks.resolve import resolve_task

TINY = ["--epochs", "2", "--batch-size", "16", "--device", "cpu"]


def _encoder(tmp_path: Path, layer: str) -> str:
    torch.manual_seed(0)
    sidecar = {
        "arch": "vit_tiny", "patch_size": 8, "img_size": 16, "in_chans": 5,
        "bands": list("ugriz"), "pooling": "mean", "layer": layer,
        "normalisation": {"mean": [0.0] * 5, "std": [1.0] * 5}, "data_hash": "x", "epochs": 1,
        "source": "test",
    }  # fmt: skip
    save_encoder(tmp_path / layer, build_vit("vit_tiny", 8, 16, 5, pooling="mean", layer=layer),
                 sidecar)  # fmt: skip
    return f"ckpt:{tmp_path / layer}"


def test_henghes_from_the_command_line(small_cutouts: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "run"
    code, stdout, err = run_cli(
        "finetune", "--backbone", "vit_tiny_p8", "--data", small_cutouts, "--target", "redshift",
        "--mode", "hybrid", "--parts", "inception,magnitude", "--magnitudes", "auto",
        "--out", out, *TINY,
    )  # fmt: skip
    assert code == 0, err
    record = json.loads((out / "metrics.json").read_text())
    assert record["extra"]["variant"] == "henghes"
    assert record["hyperparameters"]["schedule"] == "cyclic"
    assert record["hyperparameters"]["augment"] == "astromae"
    assert record["hyperparameters"]["magnitudes"] == [f"mag_{b}" for b in "ugriz"]
    predictions = np.load(out / "predictions.npz")
    recomputed = photoz_metrics(predictions["y_true"], predictions["y_pred"])
    for name in ("mse", "mae", "bias", "precision", "r2", "sigma_nmad", "outlier_fraction_0.15"):
        assert record["metrics"][name] == pytest.approx(recomputed[name])
    assert "sigma_nmad=" in stdout


def test_pcm_astromae_trains_only_what_the_paper_trains(
    small_cutouts: Path, tmp_path: Path
) -> None:
    spec = _encoder(tmp_path, "pcm")
    with CutoutFile(small_cutouts) as cutouts:
        task = resolve_task(cutouts, "redshift")
    settings = {"parts": "vit,inception,magnitude", "magnitudes": "mag_g,mag_r",
                "train": {"epochs": 1, "batch_size": 16, "device": "cpu"},
                "inception_width": 0.25}  # fmt: skip
    request = ProtocolRequest(spec, small_cutouts, task, settings=settings, work_dir=tmp_path / "w")
    result = PROTOCOLS.get("hybrid")(request)
    assert result.extra["variant"] == "pcm-astromae"
    vit = build_vit("vit_tiny", 8, 16, 5, pooling="mean", layer="pcm")
    frozen = sum(p.numel() for n, p in vit.named_parameters() if not n.startswith("norm."))
    assert result.params_total - result.params_trainable == frozen
    assert result.y_pred.shape == result.y_true.shape == (result.n_test,)
    assert np.isfinite(result.y_pred).all()


def test_variant_resolution_follows_the_backbone(tmp_path: Path) -> None:
    spec = _encoder(tmp_path, "plain")

    def named(**values: str) -> str:
        return resolve_variant(HybridSettings(**values), spec_of.get("b", spec)).name

    spec_of: dict[str, str] = {}
    assert named(parts="vit,magnitude") == "plain-vit-magnitude"
    assert named(parts="vit,magnitude", init="scratch") == "scratch-plain-vit-magnitude"
    assert named(variant="henghes") == "henghes"
    spec_of["b"] = "vit_tiny_p8?layer=pcm"
    assert named(parts="vit") == "scratch-pcm-vit"
    with pytest.raises(ConfigError, match="needs a variant or parts"):
        named()


def _with_sentinel(small_cutouts: Path, tmp_path: Path) -> Path:
    with CutoutFile(small_cutouts) as cutouts:
        images = cutouts.read_images(np.arange(len(cutouts)))
        catalog = {c: cutouts.column(c).copy() for c in cutouts.columns}
    catalog["mag_u"][np.arange(0, 60, 7)] = -99.0
    return write_cutouts(tmp_path / "bad.h5", images, catalog, bands=list("ugriz"),
                         pixel_scale_arcsec=0.396)  # fmt: skip


def test_bad_magnitudes_and_missing_inputs_exit_2(
    small_cutouts: Path, tmp_path: Path, run_cli
) -> None:
    bad = _with_sentinel(small_cutouts, tmp_path)
    base = ["finetune", "--backbone", "vit_tiny_p8", "--target", "redshift", "--mode", "hybrid",
            "--out", tmp_path / "o", *TINY]  # fmt: skip
    code, _, err = run_cli(*base, "--data", bad, "--variant", "henghes", "--magnitudes", "auto")
    assert code == 2 and "mag_u holds" in err and "sentinel" in err and err.count("\n") == 1
    code, _, err = run_cli(*base, "--data", small_cutouts, "--variant", "henghes",
                           "--magnitudes", "mag_y")  # fmt: skip
    assert code == 2 and "no magnitude column 'mag_y'" in err and err.count("\n") == 1
    code, _, err = run_cli(*base, "--data", small_cutouts, "--variant", "henghes")
    assert code == 2 and "needs magnitude columns" in err
    code, _, err = run_cli(*base, "--data", small_cutouts, "--parts", "vit,cnn")
    assert code == 2 and "unknown hybrid part" in err
