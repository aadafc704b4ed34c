"""`astrobench pretrain clip`: align an image tower and a spectrum tower (AstroCLIP)."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import pretrain_app


@pretrain_app.command("clip")
def clip(
    data: Path = typer.Option(..., "--data", help="Cutout file (.h5) with images and /spectra."),
    image: str = typer.Option(..., "--image", help="Image tower spec, e.g. ckpt:runs/mae."),
    spectrum: str = typer.Option(
        ..., "--spectrum", help="Spectrum tower spec: ckpt:runs/specformer or specformer_tiny."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder: image/, spectrum/, history."),
    epochs: int = typer.Option(
        10, help="Training epochs (0: export the heads untrained, the unaligned baseline)."
    ),
    batch_size: int = typer.Option(64, "--batch-size", help="Pairs per step (the negatives)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint."),
    bands: str = typer.Option(
        "", help="Comma-separated file bands fed to the image tower; empty: all."
    ),
    embed_dim: int = typer.Option(512, "--embed-dim", help="Aligned embedding width."),
    heads: int = typer.Option(4, help="Attention heads of each cross-attention head."),
    dropout: float = typer.Option(0.0, help="Dropout in the heads' MLPs."),
    mlp_ratio: float = typer.Option(
        1.0, "--mlp-ratio", help="Heads' MLP hidden width / embed dim (paper 1, its code 4)."
    ),
    logit_scale: float = typer.Option(15.5, "--logit-scale", help="InfoNCE logit scale."),
    learnable_scale: bool = typer.Option(
        False, "--learnable-scale", help="Learn the logit scale instead of fixing it."
    ),
    unfreeze: bool = typer.Option(False, "--unfreeze", help="Train the towers too."),
    token_store: str = typer.Option(
        "memory", "--token-store", help="Frozen-tower tokens in memory or on disk."
    ),
    lr: float = typer.Option(0.0, help="Peak learning rate; 0: 5e-4."),
    num_workers: int = typer.Option(0, "--num-workers", help="Data-loading worker processes."),
    seed: int = typer.Option(0, help="Seed of split, initialisation and data order."),
    split_seed: int = typer.Option(
        0, "--split-seed", help="Seed of the train/val/test split (val and test held out)."
    ),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps."),
    threads: int = typer.Option(0, help="CPU threads for torch; 0: torch's default."),
) -> None:
    """Align two towers by InfoNCE; export ckpt:OUT?modality=image and ?modality=spectrum."""
    import torch

    from astrobench.pretrain.clip import pretrain_clip

    if threads > 0:
        torch.set_num_threads(threads)
    result = pretrain_clip(
        data,
        out,
        image=image,
        spectrum=spectrum,
        epochs=epochs,
        batch_size=batch_size,
        resume=resume,
        image_bands=[b.strip() for b in bands.split(",") if b.strip()] or None,
        embed_dim=embed_dim,
        heads=heads,
        dropout=dropout,
        mlp_ratio=mlp_ratio,
        logit_scale=logit_scale,
        learnable_scale=learnable_scale,
        unfreeze=unfreeze,
        token_store=token_store,
        lr=lr or None,
        num_workers=num_workers,
        seed=seed,
        split_seed=split_seed,
        device=device,
    )
    last = result.history[-1] if result.history else {}
    recall = result.validation.get("image_to_spectrum_recall@10", float("nan"))
    typer.echo(
        f"encoders: ckpt:{result.out_dir}?modality=image, ckpt:{result.out_dir}?modality=spectrum  "
        f"final loss {last.get('train_loss', float('nan')):.4f}  "
        f"val recall@10 (image->spectrum) {recall:.3f}  {result.pairs_per_second:.1f} pairs/s"
    )
