"""Band strategies: select, inflate, adapter, and the error without one."""

from __future__ import annotations

import pytest
import torch

from astrobench.errors import BandError, ConfigError
from astrobench.models.create import create_backbone

UGRIZ = list("ugriz")
RESNET_RGB = "timm:resnet18?pretrained=false"  # built for 3 channels when no bands are given


def _rgb_resnet():
    return create_backbone(RESNET_RGB)


def test_bands_that_do_not_fit_a_pretrained_model_name_the_strategies(tmp_path) -> None:
    import timm
    from safetensors.torch import save_file

    model = timm.create_model("resnet18", pretrained=False, num_classes=0)
    weights = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    with pytest.raises(
        BandError, match="takes 3 input channels but the data has 5 bands"
    ) as caught:
        create_backbone(f"timm:resnet18?file={weights}", bands=UGRIZ)
    assert "select:" in caught.value.hint and "inflate" in caught.value.hint
    backbone = create_backbone(f"timm:resnet18?file={weights}", bands=UGRIZ, adapt="select:g,r,z")
    assert backbone.forward_features(torch.randn(2, 5, 32, 32)).shape == (2, 512)
    with pytest.raises(BandError, match="takes 3"):
        create_backbone(f"timm:resnet18?file={weights}", bands=UGRIZ, adapt="select:g,r")


def test_select_feeds_the_named_bands_in_order() -> None:
    inner = _rgb_resnet()
    adapted = create_backbone(RESNET_RGB + "&adapt=select:i,r,g", bands=UGRIZ)
    x = torch.randn(2, 5, 32, 32)
    with torch.inference_mode():
        torch.testing.assert_close(
            adapted.forward_features(x), inner.forward_features(x[:, [3, 2, 1]])
        )
    with pytest.raises(
        BandError, match=r"band\(s\) y asked by select: are not in the data\'s bands u,g,r,i,z"
    ):
        create_backbone(RESNET_RGB, bands=UGRIZ, adapt="select:g,r,y")


def test_inflate_keeps_activations_of_a_flat_image() -> None:
    inner = _rgb_resnet()
    inflated = create_backbone(RESNET_RGB, bands=UGRIZ, adapt="inflate")
    assert inflated.meta.in_chans == 5 and inflated.model.conv1.in_channels == 5
    flat = torch.full((1, 1, 32, 32), 0.7)
    with torch.inference_mode():
        torch.testing.assert_close(
            inflated.forward_features(flat.expand(1, 5, 32, 32)),
            inner.forward_features(flat.expand(1, 3, 32, 32)),
        )


def test_adapter_is_a_learned_1x1_conv_in_the_stem_group() -> None:
    adapted = create_backbone(RESNET_RGB, bands=UGRIZ, adapt="adapter")
    assert adapted.forward_features(torch.randn(2, 5, 16, 16)).shape == (2, 512)
    assert adapted.adapter.weight.shape == (3, 5, 1, 1) and adapted.adapter.weight.requires_grad
    assert "adapter.weight" in adapted.depth_groups()[0]


def test_unknown_strategy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown band strategy 'squash'"):
        create_backbone(RESNET_RGB, bands=UGRIZ, adapt="squash")
