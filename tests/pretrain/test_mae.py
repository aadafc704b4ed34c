"""The MAE model: shapes for any band count, masking, no leak from masked patches, loss."""

from __future__ import annotations

import pytest
import torch

from astrobench.errors import ConfigError
from astrobench.pretrain.mae import MaeConfig, MaskedAutoencoder


def _model(**overrides: object) -> MaskedAutoencoder:
    torch.manual_seed(0)
    settings: dict[str, object] = {
        "arch": "vit_tiny",
        "patch_size": 4,
        "img_size": 16,
        "in_chans": 3,
    }
    settings.update(overrides)
    return MaskedAutoencoder(MaeConfig(**settings))  # type: ignore[arg-type]


@pytest.mark.parametrize("in_chans", [1, 3, 5])
def test_patchify_round_trip_any_band_count(in_chans: int) -> None:
    model = _model(in_chans=in_chans)
    images = torch.randn(2, in_chans, 16, 16)
    patches = model.patchify(images)
    assert patches.shape == (2, 16, 4 * 4 * in_chans)
    assert torch.equal(model.unpatchify(patches), images)
    # patch 1 (second in the top row) holds pixels [0:4, 4:8] of every band
    assert torch.equal(
        patches[0, 1].reshape(4, 4, in_chans), images[0, :, 0:4, 4:8].permute(1, 2, 0)
    )


def test_random_masking_keeps_quarter_and_restores_order() -> None:
    model = _model()
    tokens = torch.arange(16.0).reshape(1, 16, 1).expand(3, 16, 1)
    visible, mask, ids_restore, ids_keep = model.random_masking(tokens, 0.75)
    assert visible.shape == (3, 4, 1)
    assert torch.equal(mask.sum(1), torch.full((3,), 12.0))
    assert torch.equal(visible[..., 0], ids_keep.float())  # kept tokens are the ones at ids_keep
    assert torch.all(mask.gather(1, ids_keep) == 0)
    assert torch.equal(torch.sort(ids_restore, dim=1).values, torch.arange(16).expand(3, 16))


@pytest.mark.parametrize("layer", ["plain", "pcm"])
@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_encoder_never_sees_masked_patches(layer: str, pooling: str) -> None:
    model = _model(layer=layer, pooling=pooling).eval()
    images = torch.randn(2, 3, 16, 16)
    torch.manual_seed(1)
    latent, mask, _ = model.forward_encoder(images, 0.75)
    masked_pixels = model.unpatchify(mask.unsqueeze(-1).expand(-1, -1, 48)).bool()  # [B, C, H, W]
    changed = images.masked_fill(masked_pixels, 100.0)
    torch.manual_seed(1)
    latent_changed, mask_changed, _ = model.forward_encoder(changed, 0.75)
    assert torch.equal(mask, mask_changed)
    torch.testing.assert_close(latent, latent_changed)
    assert latent.shape == (2, 4 + (pooling == "cls"), 192)


def test_forward_loss_counts_masked_patches_only() -> None:
    model = _model()
    images = torch.randn(2, 3, 16, 16)
    target = model.patchify(images)
    mask = torch.zeros(2, 16)
    mask[:, :4] = 1
    pred = target.clone()
    pred[:, 4:] += 5.0  # errors on visible patches must not count
    assert model.forward_loss(images, pred, mask).item() == 0.0
    pred[:, :4] += 1.0
    assert model.forward_loss(images, pred, mask).item() == pytest.approx(1.0)


def test_training_step_reduces_loss_and_norm_pix_runs() -> None:
    model = _model(norm_pix_loss=True)
    images = torch.randn(4, 3, 16, 16)
    optimizer = torch.optim.AdamW(model.param_groups(0.05), lr=1e-3)
    losses = []
    for _ in range(4):
        torch.manual_seed(0)  # same mask each step: the loss must fall
        loss, pred, mask = model(images)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert pred.shape == (4, 16, 48) and mask.shape == (4, 16)
    assert losses[-1] < losses[0]


def test_decoder_width_scales_down_for_small_encoders() -> None:
    assert MaeConfig(arch="vit_tiny").resolved_decoder_width() == 192
    assert MaeConfig(arch="vit_base").resolved_decoder_width() == 512
    model = _model(decoder_depth=2, decoder_width=64)
    assert len(model.decoder_blocks) == 2 and model.decoder_embed.out_features == 64


def test_position_embeddings_are_fixed() -> None:
    model = _model()
    assert not model.encoder.pos_embed.requires_grad and not model.decoder_pos_embed.requires_grad
    assert model.encoder.pos_embed.abs().sum() > 0


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"patch_size": 5}, "does not divide"),
        ({"mask_ratio": 1.0}, "mask ratio"),
        ({"layer": "x"}, "layer"),
    ],
)
def test_bad_config_is_a_config_error(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        _model(**overrides)
