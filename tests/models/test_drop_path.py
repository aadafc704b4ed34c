"""Stochastic depth switched on after a backbone is built."""

from __future__ import annotations

import pytest
import torch
from timm.layers import DropPath

from astrobench.errors import ConfigError
from astrobench.models.create import create_backbone
from astrobench.models.drop_path import set_drop_path


def test_rate_rises_linearly_from_first_to_last_block() -> None:
    backbone = create_backbone("vit_tiny_p8", bands=list("ugriz"), img_size=16)
    assert set_drop_path(backbone, 0.1) == 12
    blocks = backbone.model.blocks  # type: ignore[attr-defined]
    assert isinstance(blocks[0].drop_path1, torch.nn.Identity)  # rate 0 at the first block
    assert isinstance(blocks[-1].drop_path2, DropPath)
    assert blocks[-1].drop_path2.drop_prob == pytest.approx(0.1)
    assert blocks[6].drop_path1.drop_prob == pytest.approx(0.1 * 6 / 11)


def test_drop_path_makes_training_forward_stochastic_and_eval_deterministic() -> None:
    backbone = create_backbone("vit_tiny_p8", bands=list("ugriz"), img_size=16)
    set_drop_path(backbone, 0.5)
    x = torch.randn(4, 5, 16, 16)
    backbone.train()
    assert not torch.equal(backbone.forward_features(x), backbone.forward_features(x))
    backbone.eval()
    assert torch.equal(backbone.forward_features(x), backbone.forward_features(x))


def test_rate_outside_unit_interval_is_a_config_error() -> None:
    backbone = create_backbone("vit_tiny_p8", bands=list("ugriz"), img_size=16)
    with pytest.raises(ConfigError, match=r"drop path rate must be in \[0, 1\), got 1\.0"):
        set_drop_path(backbone, 1.0)
