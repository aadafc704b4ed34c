"""embed_file: all objects in file order, cache hits without the model, cache keys, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.cli import main
from astrobench.data.cutout_file import CutoutFile
from astrobench.models import embeddings
from astrobench.models.create import create_backbone
from astrobench.models.embeddings import embed_file


def test_embeddings_match_the_model_and_come_back_from_cache(
    small_cutouts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path, batch_size=16)
    assert first.features.shape == (60, 192) and first.features.dtype == np.float32
    assert not first.from_cache
    backbone = create_backbone("vit_tiny_p8", bands=list("ugriz"), img_size=16)
    with CutoutFile(small_cutouts) as cutouts, torch.inference_mode():
        expected = backbone.forward_features(torch.from_numpy(cutouts.read_slice(50, 60)))
    np.testing.assert_allclose(first.features[50:60], expected.numpy(), rtol=1e-4, atol=1e-5)

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit must not build the model")

    monkeypatch.setattr(embeddings, "create_backbone", no_model)
    second = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path, batch_size=16)
    assert second.from_cache and second.key == first.key
    np.testing.assert_array_equal(second.features, first.features)


def test_cache_key_changes_with_bands_pooling_and_file(small_cutouts: Path, tmp_path: Path) -> None:
    base = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path)
    gri = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path, bands=["g", "r", "i"])
    mean = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path, pooling="mean")
    assert len({base.key, gri.key, mean.key}) == 3
    import h5py

    with h5py.File(small_cutouts, "r+") as handle:  # new pixels: the file hash changes
        handle["images"][0] += 1.0
    changed = embed_file("vit_tiny_p8", small_cutouts, cache_dir=tmp_path)
    assert not changed.from_cache and changed.key != base.key


def test_resnet_random_init_embeds_at_native_size(small_cutouts: Path, tmp_path: Path) -> None:
    result = embed_file("timm:resnet18?pretrained=false", small_cutouts, cache_dir=tmp_path)
    assert result.features.shape == (60, 512) and result.meta["preprocessing"]["resize_to"] is None
    assert np.isfinite(result.features).all()


def test_cli_embed_writes_features_and_reports_errors_in_one_line(
    small_cutouts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "features.npy"
    args = ["embed", "--data", str(small_cutouts), "--cache-dir", str(tmp_path / "c")]
    with pytest.raises(SystemExit) as done:
        main([*args, "--backbone", "vit_tiny_p8", "--out", str(out)])
    assert done.value.code == 0 and np.load(out).shape == (60, 192)
    for bad in (["--backbone", "vit_nope"], ["--backbone", "timm:resnet18"]):
        with pytest.raises(SystemExit) as failed:
            main([*args, *bad])
        assert failed.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
