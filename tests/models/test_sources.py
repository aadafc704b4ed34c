"""Backbone sources: every registered scheme answers the same questions; random-init copies of
checkpoints keep their input preparation; photometry as an encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.errors import CheckpointError, ConfigError, NonFiniteDataError
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.embeddings import embed_file
from astrobench.models.encoder_checkpoint import save_encoder
from astrobench.models.source import BackboneSource, source_of
from astrobench.models.spec import parse_spec
from astrobench.models.vit import build_vit
from astrobench.registry import BACKBONES

SIDECAR = {
    "arch": "vit_tiny", "patch_size": 8, "img_size": 16, "in_chans": 5, "bands": list("ugriz"),
    "pooling": "mean", "layer": "plain",
    "normalisation": {"mean": [1.0] * 5, "std": [2.0] * 5, "kind": "asinh", "softening": [0.5] * 5,
                      "crop_px": 16},
    "data_hash": "abc", "epochs": 3, "source": "test",
}  # fmt: skip


@pytest.mark.parametrize("scheme", BACKBONES.names())
def test_every_source_is_a_backbone_source_under_its_scheme(scheme: str) -> None:
    source = BACKBONES.get(scheme)
    assert isinstance(source, BackboneSource)
    assert source.scheme == scheme


def test_specs_find_their_source() -> None:
    assert source_of(parse_spec("vit_tiny_p8")).scheme == "builtin"
    assert source_of(parse_spec("timm:resnet18?pretrained=false")).scheme == "timm"
    assert parse_spec("timm:resnet18?pretrained=false").sized_to_data
    assert not parse_spec("timm:resnet18").is_random_init
    assert source_of(parse_spec("catalog:colours")).scheme == "catalog"


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(3)
    save_encoder(tmp_path / "enc", build_vit("vit_tiny", 8, 16, 5, pooling="mean"), SIDECAR)
    return tmp_path / "enc"


def test_random_init_copy_keeps_architecture_and_input_preparation(checkpoint: Path) -> None:
    pretrained = create_backbone(f"ckpt:{checkpoint}", bands=list("ugriz"))
    random = create_backbone(f"ckpt:{checkpoint}?init=random", bands=list("ugriz"))
    assert parse_spec(f"ckpt:{checkpoint}?init=random").is_random_init
    assert not random.meta.pretrained and pretrained.meta.pretrained
    for key in ("img_size", "in_chans", "mean", "std", "pooling"):
        assert getattr(random.meta, key) == getattr(pretrained.meta, key), key
    assert random.meta.extra["asinh_softening"] == pretrained.meta.extra["asinh_softening"]
    assert random.meta.extra["input_crop_px"] == 16
    assert natural_img_size(f"ckpt:{checkpoint}?init=random", 64) is None  # not sized to data
    a, b = pretrained.state_dict(), random.state_dict()
    assert a.keys() == b.keys()
    assert not torch.equal(a["model.blocks.0.attn.qkv.weight"], b["model.blocks.0.attn.qkv.weight"])
    again = create_backbone(f"ckpt:{checkpoint}?init=random", bands=list("ugriz"))
    torch.testing.assert_close(again.state_dict(), b)  # seeded: the same baseline every time


def test_unknown_init_and_wrong_modality_are_one_line_errors(checkpoint: Path) -> None:
    with pytest.raises(CheckpointError, match="unknown init='randm'"):
        create_backbone(f"ckpt:{checkpoint}?init=randm", bands=list("ugriz"))
    with pytest.raises(CheckpointError, match="is a image encoder, not spectrum"):
        create_backbone(f"ckpt:{checkpoint}?modality=spectrum", bands=list("ugriz"))


def test_photometry_encoder_gives_standardised_colours_and_a_magnitude(
    small_cutouts: Path,
) -> None:
    from astrobench.data.cutout_file import CutoutFile

    embedded = embed_file("catalog:mag_u,mag_g,mag_r,mag_i,mag_z", small_cutouts, progress=False)
    assert embedded.meta["features"] == [
        "mag_u-mag_g",
        "mag_g-mag_r",
        "mag_r-mag_i",
        "mag_i-mag_z",
        "mag_r",
    ]
    with CutoutFile(small_cutouts) as cutouts:
        colour = cutouts.column("mag_g") - cutouts.column("mag_r")
    expected = (colour - np.median(colour)) / (
        1.4826 * np.median(np.abs(colour - np.median(colour)))
    )
    np.testing.assert_allclose(embedded.features[:, 1], expected, rtol=1e-5)
    colours_only = embed_file("catalog:colours", small_cutouts, progress=False)
    assert colours_only.features.shape == (60, 4)  # no magnitude


def test_photometry_sentinels_and_missing_columns_are_refused(tmp_path: Path) -> None:
    from astrobench.data.cutout_writer import write_cutouts

    n = 8
    mags = {f"mag_{b}": np.full(n, 18.0) for b in "gr"}
    mags["mag_r"][3] = -99.0
    path = tmp_path / "s.h5"
    write_cutouts(path, np.zeros((n, 2, 8, 8), np.float32), {"object_id": np.arange(n), **mags},
                  bands=["g", "r"], pixel_scale_arcsec=0.2)  # fmt: skip
    with pytest.raises(NonFiniteDataError, match=r"'mag_r' has 1 missing or sentinel.*object 3"):
        embed_file("catalog:mag_g,mag_r", path, progress=False)
    with pytest.raises(ConfigError, match="'mag_z' is not in the file"):
        embed_file("catalog:mag_g,mag_z", path, progress=False)
    with pytest.raises(ConfigError, match="no weights to train"):
        create_backbone("catalog:mag_g,mag_r")
