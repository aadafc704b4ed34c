"""`pretrain_mae`: MAE pretraining of a cutout file on the one training runtime, then export.

Recipe (seed 000 Table 1, seed 001 Table II): AdamW with betas (0.9, 0.95), weight decay 0.05
(none on norms, biases and tokens), learning rate = base lr 2e-4 x batch / 256, linear warmup
for the first 10 % of the epochs then cosine decay; bf16 autocast on a GPU, fp32 on a CPU.
Checkpoints, exact resume and DDP under torchrun come from `astrobench.train.Trainer`.

DIR receives: encoder.safetensors + encoder.json (the backbone, `ckpt:DIR/encoder.safetensors`),
history.json (loss per epoch, images/s), recon.png, mae.json (the run's settings) and
checkpoints/ (for --resume).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from astrobench.atomic import write_json_atomic
from astrobench.errors import ConfigError
from astrobench.out_lock import locked_output
from astrobench.pretrain.image_data import PretrainData, build_pretrain_data
from astrobench.pretrain.mae import MaeConfig, MaskedAutoencoder, check_mae_config
from astrobench.pretrain.mae_export import export_encoder
from astrobench.pretrain.recon_plot import save_recon_plot
from astrobench.registry import register_pretrainer

BASE_LR = 2.0e-4  # per 256 images (seed 000, Table 1)
N_RECON_OBJECTS = 4


@dataclass
class MaeRunResult:
    """What a pretraining run produced."""

    out_dir: Path
    encoder_path: Path
    history: list[dict[str, Any]]
    images_per_second: float


def mae_loss(model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
    """The training loss of one batch: masked-patch pixel MSE."""
    loss, _, _ = model(batch["image"])
    return loss


def _train_config(epochs: int, batch_size: int, lr: float | None, **settings: Any) -> Any:
    from astrobench.train import TrainConfig

    on_gpu = torch.cuda.is_available() and settings.get("device", "auto") in ("auto", "cuda")
    return TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr if lr is not None else BASE_LR * batch_size / 256,
        weight_decay=0.05,
        betas=(0.9, 0.95),
        warmup_epochs=settings.pop("warmup_epochs", None) or 0.1 * epochs,
        schedule="cosine",
        precision="bf16" if on_gpu else "fp32",
        drop_last=True,
        **settings,
    )


def _mean_images_per_second(history: dict[str, Any]) -> float:
    rates = [row["images_per_second"] for row in history["epochs"] if row.get("images_per_second")]
    return sum(rates) / len(rates) if rates else 0.0


def _finish(
    model: MaskedAutoencoder, data: PretrainData, out: Path, epochs: int, history: dict[str, Any]
) -> Path:
    """Export the encoder, draw recon.png and write history.json (rank 0 only)."""
    model = model.cpu().float()
    encoder_path = export_encoder(
        model,
        out,
        bands=data.bands,
        normalisation=data.normalisation,
        data_hash=data.data_hash,
        epochs=epochs,
        split_seed=data.split_seed,
        split_scheme=data.split_scheme,
    )
    n_plot = min(N_RECON_OBJECTS, len(data.val))
    images = torch.stack([data.val[i]["image"] for i in range(n_plot)])  # [n, C, H, W]
    save_recon_plot(model, images, data.bands, out / "recon.png")
    write_json_atomic(
        out / "history.json", {**history, "images_per_second": _mean_images_per_second(history)}
    )
    return encoder_path


@register_pretrainer("mae")
def pretrain_mae(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    arch: str = "vit_tiny",
    patch: int = 8,
    epochs: int = 10,
    batch_size: int = 64,
    *,
    resume: bool = False,
    mask_ratio: float = 0.75,
    decoder_depth: int = 1,
    decoder_width: int | None = None,
    layer: str = "plain",
    pooling: str = "mean",
    crop: int | None = None,
    norm_pix_loss: bool = False,
    normalisation: str = "zscore",
    filter_blank: bool = False,
    num_workers: int = 0,
    lr: float | None = None,
    warmup_epochs: float | None = None,
    seed: int = 0,
    split_seed: int = 0,
    device: str = "auto",
    split_scheme: str = "standard",
) -> MaeRunResult:
    """Pretrain an MAE on the cutouts of `data` and export its encoder to `out`.

    Args:
        data: cutout file (.h5).
        out: output folder (created); also holds the checkpoints for `resume`.
        arch: encoder size, "vit_tiny" ... "vit_huge".
        patch: patch side in pixels; must divide the (cropped) image side.
        epochs: training epochs.
        batch_size: images per optimizer step (per process under torchrun).
        resume: continue from the last checkpoint in `out`.
        mask_ratio: fraction of patches hidden from the encoder.
        decoder_depth, decoder_width: decoder blocks and width (None: min(512, encoder width)).
        layer: "plain" or "pcm" encoder blocks.
        pooling: "mean" (global average pooling, no class token) or "cls".
        crop: centre-crop side in pixels (None: the whole cutout).
        norm_pix_loss: reconstruct per-patch normalised pixels.
        normalisation: "zscore" or "asinh" per-band input normalisation (fitted on train).
        filter_blank: skip training cutouts with more than 10 % blank pixels.
        num_workers: data-loading worker processes.
        lr: absolute learning rate (None: 2e-4 x batch_size / 256).
        warmup_epochs: linear warmup length (None: 10 % of the epochs).
        seed: seed of the initialisation, masking and data order.
        split_seed: seed of the train/val/test split; its val and test objects are held out.
            Probes of this encoder on the same file must use the same split seed.
        device: "auto", "cpu", "cuda" or "mps".
        split_scheme: "standard" or "disjoint" (seed 001: pretrain on 80 %, fine-tune on a
            separate 10 %; give the protocols the same split_scheme and split_seed = seed).
    """
    from astrobench.train import Trainer

    if epochs < 1:
        raise ConfigError(f"epochs must be >= 1, got {epochs}")
    model_settings = {
        "arch": arch,
        "patch_size": patch,
        "layer": layer,
        "pooling": pooling,
        "mask_ratio": mask_ratio,
        "decoder_depth": decoder_depth,
        "decoder_width": decoder_width,
        "norm_pix_loss": norm_pix_loss,
    }

    def check_image_size(side: int, n_bands: int) -> None:
        check_mae_config(MaeConfig(img_size=side, in_chans=n_bands, **model_settings))  # type: ignore[arg-type]

    pretrain_data = build_pretrain_data(
        data,
        batch_size=batch_size,
        crop_px=crop,
        normalisation=normalisation,
        filter_blank=filter_blank,
        split_seed=split_seed,
        check_image_size=check_image_size,
        split_scheme=split_scheme,
    )
    config = MaeConfig(
        img_size=pretrain_data.img_size,
        in_chans=len(pretrain_data.bands),
        **model_settings,  # type: ignore[arg-type]
    )
    out_dir = Path(out)
    with locked_output(out_dir, "pretrain mae"):
        torch.manual_seed(seed)
        model = MaskedAutoencoder(config)
        train_config = _train_config(
            epochs,
            batch_size,
            lr,
            warmup_epochs=warmup_epochs,
            num_workers=num_workers,
            seed=seed,
            device=device,
            extra={
                "mae": config.to_dict(),
                "data_hash": pretrain_data.data_hash,
                "split_seed": split_seed,
            },
        )
        write_json_atomic(
            out_dir / "mae.json", {"mae": config.to_dict(), "train": train_config.to_dict()}
        )
        trainer = Trainer(
            model,
            mae_loss,
            pretrain_data.train,
            train_config,
            out_dir,
            param_groups=model.param_groups(0.05),
        )
        history = trainer.fit(resume=resume).to_dict()
        encoder_path = out_dir / "encoder.safetensors"
        if trainer.is_main:
            encoder_path = _finish(model, pretrain_data, out_dir, epochs, history)
        rate = _mean_images_per_second(history)
        return MaeRunResult(out_dir, encoder_path, history["epochs"], rate)
