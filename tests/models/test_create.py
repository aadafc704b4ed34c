"""create_backbone: built-ins, timm, specs, depth groups, determinism, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from astrobench.errors import ConfigError, UnknownNameError, WeightsNotFoundError
from astrobench.models.create import create_backbone
from astrobench.models.spec import parse_spec

UGRIZ = list("ugriz")


def test_parse_spec_reads_scheme_name_and_options() -> None:
    spec = parse_spec("timm:resnet18?pretrained=false&pooling=mean")
    assert (spec.scheme, spec.name, spec.options["pooling"]) == ("timm", "resnet18", "mean")
    assert spec.is_random_init
    assert parse_spec("vit_tiny_p8").registry_key == "builtin"
    with pytest.raises(ConfigError, match=r"pretrained='maybe' .* is not a boolean"):
        parse_spec("timm:resnet18?pretrained=maybe").flag("pretrained", True)


def test_builtin_vit_takes_any_band_count_and_pools() -> None:
    backbone = create_backbone("vit_tiny_p8", bands=UGRIZ, img_size=32)
    x = torch.randn(3, 5, 32, 32)
    assert backbone.forward_features(x).shape == (3, 192)
    assert backbone.forward_tokens(x).shape == (3, 16, 192)
    mean_pooled = create_backbone("vit_tiny_p8", bands=UGRIZ, img_size=32, pooling="mean")
    torch.testing.assert_close(
        mean_pooled.forward_features(x), backbone.forward_tokens(x).mean(dim=1)
    )


def test_random_init_is_reproducible_and_seeded() -> None:
    first = create_backbone("vit_tiny_p8", bands=UGRIZ, img_size=16)
    again = create_backbone("vit_tiny_p8", bands=UGRIZ, img_size=16)
    other = create_backbone("vit_tiny_p8?seed=1", bands=UGRIZ, img_size=16)
    assert first.weights_hash() == again.weights_hash() != other.weights_hash()


def test_depth_groups_run_from_embedding_to_final_norm() -> None:
    backbone = create_backbone("vit_tiny_p8", bands=UGRIZ, img_size=16)
    groups = backbone.depth_groups()
    assert len(groups) == 1 + 12 + 1
    assert "model.patch_embed.proj.weight" in groups[0] and "model.cls_token" in groups[0]
    assert all(name.startswith("model.blocks.3.") for name in groups[4])
    assert groups[-1] == ["model.norm.weight", "model.norm.bias"]
    named = {name for name, _ in backbone.named_parameters()}
    assert sorted(n for g in groups for n in g) == sorted(named)


def test_timm_random_init_resnet_embeds_five_bands() -> None:
    backbone = create_backbone("timm:resnet18?pretrained=false", bands=UGRIZ)
    assert backbone.forward_features(torch.randn(2, 5, 32, 32)).shape == (2, 512)
    assert backbone.meta.pooling == "avg" and not backbone.meta.pretrained
    groups = backbone.depth_groups()
    # stem + 4 stages + an empty final group (ResNets have no final norm): always L + 2
    assert groups[0][0] == "model.conv1.weight" and len(groups) == 6 and groups[-1] == []


def test_timm_offline_weights_error_names_weights_and_local_file_option() -> None:
    with pytest.raises(
        WeightsNotFoundError, match=r"pretrained weights .* for timm:resnet18 are not available"
    ) as caught:
        create_backbone("timm:resnet18")
    line = caught.value.one_line()
    assert "resnet18" in line and "?file=" in line and "\n" not in line


def test_timm_loads_weights_from_a_local_file(tmp_path: Path) -> None:
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(3)
    source = timm.create_model("resnet18", pretrained=False, num_classes=0)
    weights = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(weights))
    backbone = create_backbone(f"timm:resnet18?file={weights}")
    assert backbone.meta.pretrained and backbone.meta.source == str(weights)
    torch.testing.assert_close(backbone.model.conv1.weight, source.conv1.weight)
    assert backbone.meta.mean == pytest.approx([0.485, 0.456, 0.406])


def test_unknown_names_are_user_errors() -> None:
    with pytest.raises(UnknownNameError, match="vit_tiny_p8"):
        create_backbone("vit_tiny_p9")
    with pytest.raises(UnknownNameError, match="unknown timm model 'not_a_model_at_all'"):
        create_backbone("timm:not_a_model_at_all?pretrained=false")
    with pytest.raises(ConfigError, match="pooling 'cls' needs a transformer"):
        create_backbone("timm:resnet18?pretrained=false", pooling="cls")
