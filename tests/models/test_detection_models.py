"""Detectors on CNN and ViT backbones: pyramid strides, any band count, frozen vs fine-tuned,
layer-wise lr decay, and a ViT read through its tokens."""

from __future__ import annotations

import pytest
import torch

from astrobench.data.detection_dataset import random_flips, unpad_targets
from astrobench.models.detection.necks import SimpleFeaturePyramid
from astrobench.protocols.detect import DetectSettings, build_detector
from astrobench.train.layer_decay import param_groups

CNN = "timm:test_resnet?pretrained=false"


def _targets() -> list[dict[str, torch.Tensor]]:
    return [
        {"boxes": torch.tensor([[4.0, 6.0, 20.0, 18.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.tensor([[30.0, 30.0, 40.0, 44.0]]), "labels": torch.tensor([0])},
    ]


@pytest.mark.parametrize("patch", [4, 8, 16])
def test_simple_pyramid_gives_strides_4_to_32_from_one_map(patch: int) -> None:
    pyramid = SimpleFeaturePyramid(in_channels=32, patch_size=patch, out_channels=16)
    feature = torch.randn(2, 32, 64 // patch, 64 // patch)  # [B, D, H/p, W/p]
    levels = pyramid(feature, (64, 64))
    assert [tuple(v.shape) for v in levels.values()] == [
        (2, 16, 16, 16),
        (2, 16, 8, 8),
        (2, 16, 4, 4),
        (2, 16, 2, 2),
        (2, 16, 1, 1),
    ]
    n_deconv = sum(isinstance(m, torch.nn.ConvTranspose2d) for m in pyramid.modules())
    assert n_deconv == {4: 0, 8: 1, 16: 3}[patch]  # stride 4 from 16: two deconvs; 8: one


@pytest.mark.parametrize(("spec", "neck"), [(CNN, "fpn"), ("vit_tiny_p8", "simple_pyramid")])
def test_detector_trains_and_predicts_with_five_bands(spec: str, neck: str) -> None:
    settings = DetectSettings(pyramid_channels=16, box_head_width=32, score_threshold=0.0)
    # 48 px: not a multiple of 32 (torchvision would pad it to 64, which a ViT built for 48
    # refuses)
    model = build_detector(spec, list("ugriz"), 48, 2, "finetune", settings)
    assert model.neck_name == neck
    assert model.rcnn.rpn._post_nms_top_n == {"training": 600, "testing": 300}
    assert model.rcnn.transform.min_size == (48,) and model.rcnn.transform.max_size == 48
    images = torch.randn(2, 5, 48, 48)
    model.train()
    losses = model(images, _targets())
    assert set(losses) == {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}
    sum(losses.values()).backward()
    encoder_grads = [p.grad for p in model.encoder.parameters() if p.grad is not None]
    assert encoder_grads and any(g.abs().sum() > 0 for g in encoder_grads)
    model.eval()
    with torch.inference_mode():
        outputs = model(images)
    assert len(outputs) == 2 and outputs[0]["boxes"].shape[1] == 4
    labels = torch.cat([o["labels"] for o in outputs])
    assert labels.numel() > 0 and labels.min() >= 0 and labels.max() <= 1  # background removed


def test_frozen_encoder_does_not_move_even_its_batchnorm() -> None:
    settings = DetectSettings(pyramid_channels=16, box_head_width=32)
    model = build_detector(CNN, ["g", "r", "z"], 64, 2, "frozen", settings)
    before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    assert not any(p.requires_grad for p in model.encoder.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert trainable
    optimizer = torch.optim.SGD(trainable, lr=0.1)
    model.train()
    assert not model.encoder.training
    sum(model(torch.randn(2, 3, 64, 64), _targets()).values()).backward()
    optimizer.step()
    after = model.encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running stats included


def test_finetune_layer_decay_scales_lower_blocks_down() -> None:
    settings = DetectSettings(pyramid_channels=16, box_head_width=32)
    model = build_detector("vit_tiny_p8", ["r"], 32, 1, "finetune", settings)
    groups = param_groups(model, 0.05, model.depth_groups(), layer_decay=0.5)
    scale_of = {id(p): g["lr_scale"] for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    patch = named["rcnn.backbone.encoder.model.patch_embed.proj.weight"]
    top_block = named["rcnn.backbone.encoder.model.blocks.11.mlp.fc1.weight"]
    head = named["rcnn.roi_heads.box_predictor.cls_score.weight"]
    assert scale_of[id(head)] == 1.0
    assert scale_of[id(top_block)] == pytest.approx(0.5)  # one group below the final norm
    assert scale_of[id(patch)] == pytest.approx(0.5**13)  # stem: 12 blocks + norm below


def test_flips_move_boxes_with_pixels_and_padding_is_dropped() -> None:
    image = torch.zeros(1, 8, 10)
    image[0, 1:3, 2:5] = 1.0  # rows 1-2, columns 2-4: box (2, 1, 5, 3)
    boxes = torch.tensor([[2.0, 1.0, 5.0, 3.0]])
    for seed in range(8):
        torch.manual_seed(seed)
        flipped, moved = random_flips(image, boxes)
        rows = torch.nonzero(flipped[0].any(dim=1)).flatten()
        cols = torch.nonzero(flipped[0].any(dim=0)).flatten()
        x0, y0, x1, y1 = moved[0].tolist()
        assert (x0, x1, y0, y1) == (cols[0], cols[-1] + 1, rows[0], rows[-1] + 1)
    batch = {
        "boxes": torch.tensor([[[1.0, 1, 2, 2], [0, 0, 0, 0]]]),
        "box_labels": torch.tensor([[2, -1]]),
    }
    (target,) = unpad_targets(batch)
    assert target["labels"].tolist() == [2] and target["boxes"].shape == (1, 4)


def test_mae_checkpoint_keeps_its_stretch_and_is_resized_to_the_field(tmp_path) -> None:
    """A ckpt: encoder pretrained on asinh-stretched 8 px crops of 16 px cutouts detects on
    32 px fields: its position embedding is resampled to 32 px, its stretch is kept (not
    replaced by the sky one), and the crop is dropped (boxes are in the whole field)."""
    from astrobench.models.encoder_checkpoint import save_encoder
    from astrobench.models.vit import build_vit

    softening = [0.5, 1.0, 1.5]
    sidecar = {
        "arch": "vit_tiny", "patch_size": 4, "img_size": 8, "in_chans": 3,
        "bands": ["g", "r", "z"], "pooling": "mean", "layer": "plain",
        "normalisation": {"kind": "asinh", "softening": softening, "mean": [0.1] * 3,
                          "std": [2.0] * 3, "crop_px": 8},
        "data_hash": "abc", "epochs": 1, "source": "test",
    }  # fmt: skip
    save_encoder(tmp_path / "enc", build_vit("vit_tiny", 4, 8, 3, pooling="mean"), sidecar)
    settings = DetectSettings(pyramid_channels=16, box_head_width=32)
    model = build_detector(
        f"ckpt:{tmp_path / 'enc'}", ["g", "r", "z"], 32, 2, "finetune", settings, sky=[9.0] * 3
    )
    recipe = model.rcnn.backbone.recipe
    assert recipe["asinh_softening"] == softening and recipe["crop_to"] is None
    assert model.neck_name == "simple_pyramid"
    assert model.encoder.meta.img_size == 32
    model.train()
    losses = model(torch.randn(2, 3, 32, 32), _targets()[:1] * 2)
    assert torch.isfinite(sum(losses.values()))


def test_hugging_face_vit_through_the_simple_pyramid(tmp_path) -> None:
    import transformers as tf

    config = tf.Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=64, image_size=32, patch_size=8)  # fmt: skip
    tf.Dinov2Model(config).save_pretrained(tmp_path / "dino")
    settings = DetectSettings(pyramid_channels=16, box_head_width=32, score_threshold=0.0)
    model = build_detector(f"hf:{tmp_path / 'dino'}", ["g", "r", "z"], 32, 2, "frozen", settings)
    model.eval()
    with torch.inference_mode():
        outputs = model(torch.randn(1, 3, 32, 32))
    assert outputs[0]["boxes"].shape[1] == 4 and model.neck_name == "simple_pyramid"
