"""build_vit sizes, poolings and options."""

from __future__ import annotations

import pytest
import torch

from astrobench.errors import ConfigError, UnknownNameError
from astrobench.models.vit import VIT_SIZES, build_vit, set_vit_pooling


def test_vit_tiny_has_the_published_size() -> None:
    model = build_vit("vit_tiny", patch_size=8, img_size=32, in_chans=5)
    assert (model.embed_dim, len(model.blocks), model.blocks[0].attn.num_heads) == (192, 12, 3)
    tokens = model.forward_features(torch.randn(2, 5, 32, 32))
    assert tokens.shape == (2, 1 + 16, 192)  # class token + (32 / 8)^2 patches


def test_vit_huge_follows_the_c_mae_table() -> None:
    assert VIT_SIZES["vit_huge"].embed_dim == 1536 and VIT_SIZES["vit_huge"].depth == 24


def test_pooling_does_not_change_the_weights() -> None:
    torch.manual_seed(0)
    cls_model = build_vit("vit_tiny", 8, 16, 3, pooling="cls")
    mean_model = build_vit("vit_tiny", 8, 16, 3, pooling="mean")
    assert cls_model.state_dict().keys() == mean_model.state_dict().keys()
    x = torch.randn(2, 3, 16, 16)
    set_vit_pooling(cls_model, "mean")
    tokens = cls_model.forward_features(x)
    pooled = cls_model.forward_head(tokens, pre_logits=True)
    torch.testing.assert_close(pooled, tokens[:, 1:].mean(dim=1))


def test_vit_without_class_token_pools_by_mean() -> None:
    model = build_vit("vit_tiny", 8, 16, 3, pooling="mean", class_token=False)
    assert model.forward_features(torch.randn(1, 3, 16, 16)).shape == (1, 4, 192)
    with pytest.raises(ConfigError, match="pooling 'cls' needs a class token"):
        build_vit("vit_tiny", 8, 16, 3, pooling="cls", class_token=False)


def test_bad_options_are_user_errors() -> None:
    with pytest.raises(UnknownNameError, match="unknown ViT architecture 'vit_gigantic'"):
        build_vit("vit_gigantic", 8, 32, 3)
    with pytest.raises(ConfigError, match="does not divide"):
        build_vit("vit_tiny", 7, 32, 3)
