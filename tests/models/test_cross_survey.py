"""A g,r,z encoder (asinh-pretrained) on u,g,r,i,z data: every per-band value follows its band.

The encoder is pretrained on a 3-band file whose bands differ in brightness by factors of 10, so
its asinh softening, mean and std differ by band. The 5-band file holds exactly the same g, r, z
pixels plus bright u and i. Feeding it with `select:g,r,z` (or bands g,r,z) must give exactly
what the encoder gives on the 3-band file: any value applied to the wrong band changes the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import write_cutouts
from astrobench.models.create import create_backbone
from astrobench.models.embeddings import embed_file
from astrobench.protocols.base import ProtocolRequest
from astrobench.protocols.trained import build_model
from astrobench.registry import PROTOCOLS
from astrobench.tasks.resolve import resolve_task

N, SIZE = 40, 16
SCALES = np.array([1.0, 10.0, 100.0])  # g, r, z brightness


def _files(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    labels = np.arange(N) % 2
    yy, xx = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    blob = np.exp(-(xx**2 + yy**2) / (2 * (1.5 + labels[:, None, None]) ** 2))  # [N, H, W]
    grz = (blob[:, None] + rng.normal(0, 0.05, (N, 3, SIZE, SIZE))) * SCALES[:, None, None]
    ui = rng.normal(500.0, 50.0, (N, 2, SIZE, SIZE))
    ugriz = np.stack([ui[:, 0], grz[:, 0], grz[:, 1], ui[:, 1], grz[:, 2]], axis=1)
    catalog = {"object_id": np.arange(N), "label": labels, "redshift": 0.1 + 0.2 * labels}
    common = {"pixel_scale_arcsec": 0.3}
    desi = write_cutouts(
        folder / "desi.h5", grz.astype(np.float32), catalog, bands=list("grz"), **common
    )
    sdss = write_cutouts(
        folder / "sdss.h5", ugriz.astype(np.float32), catalog, bands=list("ugriz"), **common
    )
    return desi, sdss


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """(ckpt spec of a 1-epoch asinh MAE pretrained on the g,r,z file, g,r,z file, ugriz file)."""
    from astrobench.pretrain.mae_pretrainer import pretrain_mae

    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("xs")
    desi, sdss = _files(folder)
    out = folder / "mae"
    pretrain_mae(desi, out, patch=8, epochs=1, batch_size=8, normalisation="asinh")
    return f"ckpt:{out / 'encoder.safetensors'}", desi, sdss


def test_selected_bands_take_the_softening_mean_and_std_of_their_model_channel(
    survey: tuple[str, Path, Path],
) -> None:
    spec, _, _ = survey
    plain = create_backbone(spec)
    softening = plain.meta.extra["asinh_softening"]
    assert softening[2] > 50 * softening[0]  # the bands really differ
    adapted = create_backbone(spec, bands=list("ugriz"), adapt="select:g,r,z")
    assert adapted.meta.extra["asinh_softening"] == [1.0, *softening[:2], 1.0, softening[2]]
    assert adapted.meta.mean == [0.0, *plain.meta.mean[:2], 0.0, plain.meta.mean[2]]
    assert adapted.meta.std == [1.0, *plain.meta.std[:2], 1.0, plain.meta.std[2]]


@pytest.mark.parametrize("options", [{"adapt": "select:g,r,z"}, {"bands": ["g", "r", "z"]}])
def test_frozen_embedding_of_the_ugriz_file_equals_the_grz_file(
    survey: tuple[str, Path, Path], tmp_path: Path, options: dict[str, object]
) -> None:
    spec, desi, sdss = survey
    reference = embed_file(spec, desi, cache_dir=tmp_path, progress=False).features
    selected = embed_file(spec, sdss, cache_dir=tmp_path, progress=False, **options).features
    np.testing.assert_allclose(selected, reference, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("settings", [{"adapt": "select:g,r,z"}, {"bands": "g,r,z"}])
def test_finetune_model_on_the_ugriz_file_computes_what_it_does_on_the_grz_file(
    survey: tuple[str, Path, Path], settings: dict[str, str]
) -> None:
    spec, desi, sdss = survey
    mode = PROTOCOLS.get("finetune")
    with CutoutFile(sdss) as five, CutoutFile(desi) as three:
        task = resolve_task(five, "label")
        images5 = torch.from_numpy(five.read_images(np.arange(6)))  # [6, 5, H, W]
        images3 = torch.from_numpy(three.read_images(np.arange(6)))  # [6, 3, H, W]
        channels = five.band_indices(["g", "r", "z"]) if "bands" in settings else None
    bands = ["g", "r", "z"] if "bands" in settings else list("ugriz")
    channels = channels if channels is not None else list(range(len(bands)))
    checked = mode.settings_model.model_validate({"embed": settings})
    defaults = mode.settings_model()
    model5 = build_model(ProtocolRequest(spec, sdss, task), mode, checked, bands, channels, SIZE)
    model3 = build_model(
        ProtocolRequest(spec, desi, task), mode, defaults, list("grz"), [0, 1, 2], SIZE
    )
    with torch.inference_mode():
        np.testing.assert_allclose(
            model5.eval()(images5).numpy(), model3.eval()(images3).numpy(), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("protocol", ["finetune", "scratch"])
def test_finetune_and_scratch_run_on_the_ugriz_file_with_select(
    survey: tuple[str, Path, Path], tmp_path: Path, protocol: str
) -> None:
    spec, _, sdss = survey
    with CutoutFile(sdss) as cutouts:
        task = resolve_task(cutouts, "redshift")
    settings = {
        "embed": {"adapt": "select:g,r,z"},
        "train": {"epochs": 1, "batch_size": 8, "device": "cpu"},
    }
    result = PROTOCOLS.get(protocol)(
        ProtocolRequest(spec, sdss, task, settings=settings, work_dir=tmp_path)
    )
    assert result.n_test > 0 and np.isfinite(result.metrics["sigma_nmad"])
    assert result.hyperparameters["epochs"] == 1


def test_finetune_cli_takes_adapt(
    survey: tuple[str, Path, Path], tmp_path: Path, run_cli: Any
) -> None:
    spec, _, sdss = survey
    code, _, err = run_cli(
        "finetune", "--backbone", spec, "--data", sdss, "--target", "label", "--epochs", "1",
        "--batch-size", "8", "--device", "cpu", "--adapt", "select:g,r,z", "--out", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0.0 <= metrics["metrics"]["accuracy"] <= 1.0
    code, _, err = run_cli(
        "finetune", "--backbone", spec, "--data", sdss, "--target", "label", "--epochs", "1",
        "--device", "cpu", "--out", tmp_path / "no_adapt",
    )  # fmt: skip
    assert code == 2 and "trained on bands g,r,z but the data has u,g,r,i,z" in err
