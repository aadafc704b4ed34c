"""`astrobench finetune`: adapt a backbone to a target by training (full, partial, unfreeze,
lora, scratch) and write metrics.json, predictions.npz and the checkpoints into --out."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import app

MODES = {
    "full": "finetune",
    "partial": "partial",
    "unfreeze": "unfreeze",
    "lora": "lora",
    "scratch": "scratch",
}


@app.command("finetune")
def finetune(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="A cutout file (.h5)."),
    target: str = typer.Option(
        ..., "--target", help="Catalog column to predict (label, redshift, ...)."
    ),
    mode: str = typer.Option("full", "--mode", help="full | partial | unfreeze | lora | scratch."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    epochs: int = typer.Option(10, "--epochs"),
    lr: float = typer.Option(1e-3, "--lr"),
    layer_decay: float = typer.Option(0.75, "--layer-decay", help="Layer-wise lr decay (full)."),
    blocks: int = typer.Option(2, "--blocks", help="Top blocks to train (partial)."),
    batch_size: int = typer.Option(64, "--batch-size"),
    fraction: float = typer.Option(1.0, "--fraction", help="Label fraction of the train split."),
    seed: int = typer.Option(0, "--seed"),
    lora_rank: int = typer.Option(8, "--lora-rank"),
    lora_alpha: int = typer.Option(16, "--lora-alpha"),
    lora_dropout: float = typer.Option(0.0, "--lora-dropout"),
    unfreeze_after: int = typer.Option(10, "--unfreeze-after", help="Head-only epochs (unfreeze)."),
    precision: str = typer.Option("fp32", "--precision", help="fp32 | bf16 | fp16."),
    num_workers: int = typer.Option(0, "--num-workers"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda | mps."),
    warmup_epochs: float = typer.Option(1.0, "--warmup-epochs"),
    ema_decay: float = typer.Option(0.0, "--ema-decay", help="0 disables the weight EMA."),
    checkpoint_every_steps: int = typer.Option(0, "--checkpoint-every-steps", help="0: per epoch."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the newest checkpoint in --out."
    ),
) -> None:
    """Fine-tune a backbone on one target and score it on the test split."""
    from astrobench.errors import ConfigError
    from astrobench.protocols.finetune_run import finetune_run
    from astrobench.train.device import check_device

    check_device(device)

    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r}", f"use one of {', '.join(MODES)}")
    settings = {
        "epochs": epochs, "lr": lr, "layer_decay": layer_decay, "blocks": blocks,
        "batch_size": batch_size, "lora_rank": lora_rank, "lora_alpha": lora_alpha,
        "lora_dropout": lora_dropout, "unfreeze_after": unfreeze_after, "precision": precision,
        "num_workers": num_workers, "device": device, "warmup_epochs": warmup_epochs,
        "ema_decay": ema_decay or None, "checkpoint_every_steps": checkpoint_every_steps or None,
        "resume": resume,
    }  # fmt: skip
    summary = finetune_run(backbone, data, target, MODES[mode], out, settings, fraction, seed)
    typer.echo(summary)
