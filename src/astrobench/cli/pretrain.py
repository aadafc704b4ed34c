"""`astrobench pretrain mae`: masked-autoencoder pretraining of a cutout file."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import pretrain_app


@pretrain_app.command("mae")
def mae(
    data: Path = typer.Option(..., "--data", help="Cutout file (.h5) to pretrain on."),
    out: Path = typer.Option(
        ..., "--out", help="Output folder: encoder, history, recon.png, checkpoints."
    ),
    arch: str = typer.Option(
        "vit_tiny", help="Encoder size: vit_tiny, vit_small, vit_base, vit_large, vit_huge."
    ),
    patch: int = typer.Option(
        8, help="Patch side in pixels; must divide the (cropped) image side."
    ),
    epochs: int = typer.Option(10, help="Training epochs."),
    batch_size: int = typer.Option(
        64, "--batch-size", help="Images per step (per process under torchrun)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the last checkpoint in --out."
    ),
    mask_ratio: float = typer.Option(
        0.75, "--mask-ratio", help="Fraction of patches hidden from the encoder."
    ),
    decoder_depth: int = typer.Option(1, "--decoder-depth", help="Decoder transformer blocks."),
    decoder_width: int = typer.Option(
        0, "--decoder-width", help="Decoder width; 0: min(512, encoder width)."
    ),
    layer: str = typer.Option(
        "plain", help="Encoder layer: plain or pcm (parallel convolution, AstroMAE)."
    ),
    pooling: str = typer.Option(
        "mean", help="Embedding pooling: mean (no class token, C-MAE) or cls."
    ),
    crop: int = typer.Option(0, help="Centre-crop side in pixels; 0 keeps the whole cutout."),
    norm_pix_loss: bool = typer.Option(
        False, "--norm-pix-loss", help="Reconstruct per-patch normalised pixels."
    ),
    normalisation: str = typer.Option(
        "zscore", help="Per-band input normalisation: zscore or asinh."
    ),
    filter_blank: bool = typer.Option(
        False, "--filter-blank", help="Skip cutouts with > 10 % blank pixels."
    ),
    num_workers: int = typer.Option(0, "--num-workers", help="Data-loading worker processes."),
    lr: float = typer.Option(0.0, help="Learning rate; 0: 2e-4 x batch size / 256."),
    seed: int = typer.Option(0, help="Seed of initialisation, masking and data order."),
    split_seed: int = typer.Option(
        0,
        "--split-seed",
        help="Seed of the train/val/test split whose val and test objects are held out; "
        "probe the encoder on this file with the same --split-seed.",
    ),
    split_scheme: str = typer.Option(
        "standard",
        "--split-scheme",
        help="standard, or disjoint: pretrain on an 80 % pool fine-tuning never uses (seed 001).",
    ),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps."),
    threads: int = typer.Option(
        0, help="CPU threads for torch; 0: torch's default. 1 is fastest on a busy machine."
    ),
) -> None:
    """Pretrain a masked autoencoder and export its encoder as ckpt:OUT/encoder.safetensors."""
    import torch

    from astrobench.pretrain.mae_pretrainer import pretrain_mae
    from astrobench.train.device import check_device

    check_device(device)

    if threads > 0:
        torch.set_num_threads(threads)

    result = pretrain_mae(
        data,
        out,
        arch=arch,
        patch=patch,
        epochs=epochs,
        batch_size=batch_size,
        resume=resume,
        mask_ratio=mask_ratio,
        decoder_depth=decoder_depth,
        decoder_width=decoder_width or None,
        layer=layer,
        pooling=pooling,
        crop=crop or None,
        norm_pix_loss=norm_pix_loss,
        normalisation=normalisation,
        filter_blank=filter_blank,
        num_workers=num_workers,
        lr=lr or None,
        seed=seed,
        split_seed=split_seed,
        device=device,
        split_scheme=split_scheme,
    )
    last = result.history[-1] if result.history else {}
    typer.echo(
        f"encoder: ckpt:{result.encoder_path}  "
        f"final loss {last.get('train_loss', float('nan')):.4f}  "
        f"{result.images_per_second:.1f} images/s"
    )
