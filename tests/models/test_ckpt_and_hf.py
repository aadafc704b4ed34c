"""Own checkpoints (ckpt:) and Hugging Face models (hf:) from local folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from astrobench.errors import CheckpointError, WeightsNotFoundError
from astrobench.models.create import create_backbone
from astrobench.models.encoder_checkpoint import save_encoder
from astrobench.models.vit import build_vit

SIDECAR = {
    "arch": "vit_tiny", "patch_size": 8, "img_size": 16, "in_chans": 5, "bands": list("ugriz"),
    "pooling": "mean", "layer": "plain", "normalisation": {"mean": [1.0] * 5, "std": [2.0] * 5},
    "data_hash": "abc", "epochs": 3, "source": "test",
}  # fmt: skip


def test_saved_encoder_loads_back_identically(tmp_path: Path) -> None:
    torch.manual_seed(1)
    vit = build_vit("vit_tiny", 8, 16, 5, pooling="mean")
    save_encoder(tmp_path / "run", vit, SIDECAR)
    sidecar = json.loads((tmp_path / "run" / "encoder.json").read_text())
    assert sidecar["format"] == "astrobench-encoder" and sidecar["version"] == 1
    backbone = create_backbone(
        f"ckpt:{tmp_path / 'run' / 'encoder.safetensors'}", bands=list("ugriz")
    )
    x = torch.randn(2, 5, 16, 16)
    with torch.inference_mode():
        expected = vit.forward_head(vit.forward_features(x), pre_logits=True)
        torch.testing.assert_close(backbone.forward_features(x), expected)
    assert backbone.meta.mean == [1.0] * 5 and backbone.meta.bands == list("ugriz")


def test_checkpoint_bands_must_match_the_data(tmp_path: Path) -> None:
    save_encoder(tmp_path, build_vit("vit_tiny", 8, 16, 5), SIDECAR)
    from astrobench.errors import BandError

    with pytest.raises(BandError, match="u,g,r,i,z"):
        create_backbone(f"ckpt:{tmp_path}", bands=list("grizy"))


def test_missing_or_mismatched_checkpoint_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no encoder weights at .*nothing.safetensors"):
        create_backbone(f"ckpt:{tmp_path / 'nothing.safetensors'}")
    save_encoder(tmp_path, build_vit("vit_small", 8, 16, 5), SIDECAR)  # sidecar says vit_tiny
    with pytest.raises(CheckpointError, match="do not fit"):
        create_backbone(f"ckpt:{tmp_path}")


def _tiny(kind: str):
    import transformers as tf

    sizes = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, image_size=32, patch_size=8)  # fmt: skip
    configs = {
        "dinov2": (tf.Dinov2Model, tf.Dinov2Config),
        "vit_mae": (tf.ViTMAEModel, tf.ViTMAEConfig),
        "clip": (tf.CLIPVisionModel, tf.CLIPVisionConfig),
        "siglip": (tf.SiglipVisionModel, tf.SiglipVisionConfig),
    }
    model_class, config_class = configs[kind]
    return model_class(config_class(**sizes))


@pytest.mark.parametrize("kind", ["dinov2", "vit_mae", "clip", "siglip"])
def test_hf_vision_towers_from_a_local_folder(tmp_path: Path, kind: str) -> None:
    _tiny(kind).save_pretrained(tmp_path / kind)
    backbone = create_backbone(f"hf:{tmp_path / kind}", bands=list("gri"))
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        pooled, again = backbone.forward_features(x), backbone.forward_features(x)
    assert pooled.shape == (2, 32) and backbone.forward_tokens(x).shape == (2, 16, 32)
    torch.testing.assert_close(pooled, again)  # deterministic: no random masking (ViT-MAE)
    groups = backbone.depth_groups()
    assert len(groups) == 4 and any("embed" in n for n in groups[0])


def test_hf_offline_hub_id_is_a_weights_error() -> None:
    with pytest.raises(WeightsNotFoundError, match="hf:/path"):
        create_backbone("hf:facebook/dinov2-small")


def test_checkpoint_input_preparation_is_repeated_when_embedding(tmp_path: Path) -> None:
    """An encoder pretrained on asinh-stretched 8 px centre crops sees the same on 16 px data."""
    import numpy as np

    from astrobench.data.cutout_writer import write_cutouts
    from astrobench.models.embeddings import embed_file

    softening = [0.5, 1.0, 1.5, 2.0, 2.5]
    normalisation = {"kind": "asinh", "softening": softening, "mean": [0.1] * 5,
                     "std": [2.0] * 5, "crop_px": 8}  # fmt: skip
    vit = build_vit("vit_tiny", 4, 8, 5, pooling="mean", class_token=False)
    sidecar = {**SIDECAR, "patch_size": 4, "img_size": 8, "normalisation": normalisation}
    save_encoder(tmp_path / "enc", vit, sidecar)
    images = np.random.default_rng(1).normal(0, 3, (6, 5, 16, 16)).astype(np.float32)
    data = write_cutouts(tmp_path / "d.h5", images, {"label": np.arange(6) % 2},
                         bands=list("ugriz"), pixel_scale_arcsec=0.4)  # fmt: skip

    embedded = embed_file(f"ckpt:{tmp_path / 'enc'}", data, cache_dir=tmp_path / "cache")

    crops = torch.from_numpy(images[:, :, 4:12, 4:12])  # the central 8 x 8 pixels
    soft = torch.tensor(softening)[None, :, None, None]
    expected_input = (torch.asinh(crops / soft) - 0.1) / 2.0
    backbone = create_backbone(f"ckpt:{tmp_path / 'enc'}", bands=list("ugriz"))
    with torch.inference_mode():
        expected = backbone.forward_features(expected_input).numpy()
    assert embedded.meta["preprocessing"]["crop_to"] == 8
    assert np.allclose(embedded.features, expected, atol=1e-5)
