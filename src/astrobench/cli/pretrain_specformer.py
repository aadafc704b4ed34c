"""`astrobench pretrain specformer`: masked spectrum modelling of a cutout file's spectra."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import pretrain_app


@pretrain_app.command("specformer")
def specformer(
    data: Path = typer.Option(..., "--data", help="Cutout file (.h5) with /spectra."),
    out: Path = typer.Option(
        ..., "--out", help="Output folder: encoder, history, recon.png, checkpoints."
    ),
    size: str = typer.Option("tiny", help="Encoder size: tiny, small, base, paper (768 x 6)."),
    epochs: int = typer.Option(10, help="Training epochs."),
    batch_size: int = typer.Option(64, "--batch-size", help="Spectra per step."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint."),
    window: int = typer.Option(20, help="Window length in pixels."),
    stride: int = typer.Option(10, help="Window step in pixels (window - overlap)."),
    n_spans: int = typer.Option(6, "--n-spans", help="Hidden spans per spectrum."),
    span_tokens: int = typer.Option(
        0, "--span-tokens", help="Windows per hidden span; 0: windows // 16."
    ),
    dropout: float = typer.Option(0.0, help="Dropout in the transformer blocks."),
    lr: float = typer.Option(0.0, help="Peak learning rate; 0: 3e-4."),
    num_workers: int = typer.Option(0, "--num-workers", help="Data-loading worker processes."),
    seed: int = typer.Option(0, help="Seed of split, initialisation, masking and data order."),
    split_seed: int = typer.Option(
        0, "--split-seed", help="Seed of the train/val/test split (val and test held out)."
    ),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps."),
    threads: int = typer.Option(0, help="CPU threads for torch; 0: torch's default."),
) -> None:
    """Pretrain a spectrum encoder and export it as ckpt:OUT (family specformer)."""
    import torch

    from astrobench.pretrain.specformer import pretrain_specformer

    if threads > 0:
        torch.set_num_threads(threads)
    result = pretrain_specformer(
        data,
        out,
        size=size,
        epochs=epochs,
        batch_size=batch_size,
        resume=resume,
        window=window,
        stride=stride,
        n_spans=n_spans,
        span_tokens=span_tokens or None,
        dropout=dropout,
        lr=lr or None,
        num_workers=num_workers,
        seed=seed,
        split_seed=split_seed,
        device=device,
    )
    last = result.history[-1] if result.history else {}
    typer.echo(
        f"encoder: ckpt:{result.out_dir}  "
        f"final loss {last.get('train_loss', float('nan')):.4f}  "
        f"{result.spectra_per_second:.1f} spectra/s"
    )
