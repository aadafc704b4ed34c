"""Every training protocol end to end on a tiny file (CPU, 16x16, 1 epoch, timm test_vit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astrobench.data.cutout_file import CutoutFile
from astrobench.models.create import create_backbone
from astrobench.models.heads import BackboneWithHead, build_head
from astrobench.models.input_preparation import input_preparation
from astrobench.protocols.base import ProtocolRequest
from astrobench.protocols.lora import LoraSettings, prepare_lora
from astrobench.protocols.partial import PartialSettings, prepare_partial
from astrobench.registry import PROTOCOLS
from astrobench.tasks.resolve import resolve_task
from astrobench.train import TrainConfig

TINY = "timm:test_vit?pretrained=false"
TRAIN = {"epochs": 1, "batch_size": 16, "device": "cpu", "lr": 1e-3}


def request_for(path: Path, target: str, work: Path, **settings) -> ProtocolRequest:
    with CutoutFile(path) as cutouts:
        task = resolve_task(cutouts, target)
    train = {**TRAIN, **settings.pop("train", {})}
    return ProtocolRequest(TINY, path, task, settings={"train": train, **settings}, work_dir=work)


@pytest.mark.parametrize("mode", ["finetune", "partial", "unfreeze", "lora", "scratch"])
def test_every_mode_trains_and_reports_cost(small_cutouts, tmp_path, mode):
    extra = {"unfreeze_after": 1} if mode == "unfreeze" else {}
    result = PROTOCOLS.get(mode)(request_for(small_cutouts, "label", tmp_path, **extra))
    assert result.protocol == mode
    assert 0.0 <= result.metrics["accuracy"] <= 1.0
    assert result.probabilities is not None and result.probabilities.shape == (result.n_test, 3)
    assert result.params_total > 0 and 0 < result.params_trainable <= result.params_total
    assert result.train_seconds > 0 and result.eval_seconds > 0
    assert (tmp_path / "checkpoints" / "last.pt").exists()
    if mode in ("partial", "lora"):
        assert result.params_trainable < result.params_total


def test_regression_target_is_scored_in_target_units(small_cutouts, tmp_path):
    result = PROTOCOLS.get("finetune")(
        request_for(small_cutouts, "redshift", tmp_path, train={"epochs": 2})
    )
    assert {"sigma_nmad", "outlier_fraction_0.05", "outlier_fraction_0.15", "bias"} <= set(
        result.metrics
    )
    assert result.probabilities is None
    # predictions are de-standardised: near the 0.01..0.4 redshifts, not around 0
    assert 0.0 < float(np.median(result.y_pred)) < 0.5


def wrapped(spec: str, img_size: int = 16) -> BackboneWithHead:
    backbone = create_backbone(spec, bands=list("ugriz"), img_size=img_size)
    recipe = input_preparation(backbone.meta.to_dict(), list(range(5)), list("ugriz"), 16, "error")
    return BackboneWithHead(backbone, build_head(backbone.num_features, 3), recipe)


def test_partial_two_blocks_trains_exactly_top_two_blocks_norm_and_head():
    model = wrapped(TINY)
    prepare_partial(model, PartialSettings(blocks=2), TrainConfig(device="cpu"))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    n_blocks = len(model.backbone.depth_groups()) - 2
    top = {f"model.blocks.{n_blocks - 2}.", f"model.blocks.{n_blocks - 1}."}
    expected = {
        n
        for n, _ in model.named_parameters()
        if any(n.startswith("backbone." + t) for t in top)
        or n.startswith(("backbone.model.norm.", "head."))
    }
    assert trainable == expected
    assert any(n.startswith("head.") for n in trainable)


def test_lora_on_vit_small_trains_under_two_percent():
    model = wrapped("timm:vit_small_patch16_224?pretrained=false")
    prepared = prepare_lora(model, LoraSettings(lora_rank=8), TrainConfig(device="cpu"))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert prepared.info["lora_trainable"] == trainable
    assert 0 < trainable / total < 0.02
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in n or n.startswith("head.") for n in names)


def test_lora_finds_convolutions_on_a_convnet():
    model = wrapped("timm:test_convnext?pretrained=false", img_size=32)
    prepare_lora(model, LoraSettings(lora_rank=2), TrainConfig(device="cpu"))
    assert any("lora_" in n for n, p in model.named_parameters() if p.requires_grad)


def test_partial_one_block_on_a_resnet_trains_only_its_last_stage_and_the_head():
    """ResNets have no final norm: their top stage is still a block, not the 'final' group."""
    model = wrapped("timm:resnet18?pretrained=false")
    prepare_partial(model, PartialSettings(blocks=1), TrainConfig(device="cpu"))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    backbone_trainable = {n.split(".")[2] for n in trainable if n.startswith("backbone.")}
    assert backbone_trainable == {"layer4"}
    assert any(n.startswith("head.") for n in trainable)


def test_layer_decay_gives_a_resnets_top_stage_one_step_of_decay():
    from astrobench.train.layer_decay import param_groups

    model = wrapped("timm:resnet18?pretrained=false")
    groups = param_groups(model, 0.05, model.backbone.depth_groups(), 0.5, prefix="backbone.")
    scale_of = {id(p): g["lr_scale"] for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert scale_of[id(named["backbone.model.layer4.0.conv1.weight"])] == 0.5
    assert scale_of[id(named["backbone.model.conv1.weight"])] == 0.5**5
    head = [p for n, p in named.items() if n.startswith("head.")]
    assert head and all(scale_of[id(p)] == 1.0 for p in head)


def test_unfreeze_keeps_the_backbone_fixed_then_trains_it(small_cutouts, tmp_path):
    """3 epochs, unfreeze_after=2: the backbone is identical after epochs 1 and 2 (only the head
    moved), and differs after epoch 3 (the whole model trains)."""
    request = request_for(
        small_cutouts,
        "label",
        tmp_path,
        unfreeze_after=2,
        train={"epochs": 3, "keep_every_k": 1, "warmup_epochs": 0},
    )
    result = PROTOCOLS.get("unfreeze")(request)
    assert result.protocol == "unfreeze"
    states = [
        torch.load(tmp_path / "checkpoints" / f"epoch-{e:04d}.pt", weights_only=True)["model"]
        for e in (1, 2, 3)
    ]

    def part(state: dict, prefix: str) -> dict:
        return {k: v for k, v in state.items() if k.startswith(prefix)}

    backbones = [part(s, "backbone.") for s in states]
    heads = [part(s, "head.") for s in states]
    assert backbones[0] and heads[0]
    assert all(torch.equal(backbones[0][k], backbones[1][k]) for k in backbones[0])
    assert any(not torch.equal(heads[0][k], heads[1][k]) for k in heads[0])
    changed = [k for k in backbones[1] if not torch.equal(backbones[1][k], backbones[2][k])]
    assert len(changed) > len(backbones[1]) // 2, changed
