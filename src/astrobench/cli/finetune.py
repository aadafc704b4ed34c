"""`astrobench finetune`: adapt a backbone to a target by training (full, partial, unfreeze,
lora, scratch, or AstroMAE's hybrid photo-z model) and write metrics.json, predictions.npz and
the checkpoints into --out."""

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
    "hybrid": "hybrid",
}


@app.command("finetune")
def finetune(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="A cutout file (.h5)."),
    target: str = typer.Option(
        ..., "--target", help="Catalog column to predict (label, redshift, ...)."
    ),
    mode: str = typer.Option(
        "full", "--mode", help="full | partial | unfreeze | lora | scratch | hybrid."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    epochs: int = typer.Option(10, "--epochs"),
    lr: float = typer.Option(None, "--lr", help="Default 1e-3 (hybrid: 1e-4, seed 001)."),
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
    warmup_epochs: float = typer.Option(None, "--warmup-epochs", help="Default 1 (hybrid: 0)."),
    ema_decay: float = typer.Option(0.0, "--ema-decay", help="0 disables the weight EMA."),
    checkpoint_every_steps: int = typer.Option(0, "--checkpoint-every-steps", help="0: per epoch."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the newest checkpoint in --out."
    ),
    parts: str = typer.Option(
        "", "--parts", help="hybrid: parts of the model, e.g. vit,inception,magnitude."
    ),
    variant: str = typer.Option("", "--variant", help="hybrid: a named variant (pcm-astromae)."),
    init: str = typer.Option("", "--init", help="hybrid: pretrained | scratch ViT encoder."),
    magnitudes: str = typer.Option(
        "", "--magnitudes", help="hybrid: magnitude columns (mag_u,mag_g,...) or auto."
    ),
    augment: str = typer.Option(
        None, "--augment", help="flip | flip_rotate | astromae | flip+rotate45+noise0.2 | none."
    ),
    schedule: str = typer.Option(
        None, "--schedule", help="cosine | cyclic | multistep | constant."
    ),
    split_scheme: str = typer.Option(
        "standard", "--split-scheme", help="standard, or disjoint (seed 001: a separate 10 %)."
    ),
) -> None:
    """Fine-tune a backbone on one target and score it on the test split."""
    from astrobench.errors import ConfigError
    from astrobench.protocols.finetune_run import finetune_run

    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r}", f"use one of {', '.join(MODES)}")
    settings = {
        "epochs": epochs, "layer_decay": layer_decay, "blocks": blocks,
        "batch_size": batch_size, "lora_rank": lora_rank, "lora_alpha": lora_alpha,
        "lora_dropout": lora_dropout, "unfreeze_after": unfreeze_after, "precision": precision,
        "num_workers": num_workers, "device": device,
        "ema_decay": ema_decay or None, "checkpoint_every_steps": checkpoint_every_steps or None,
        "resume": resume, "split_scheme": split_scheme,
    }  # fmt: skip
    optional = {
        "lr": lr, "warmup_epochs": warmup_epochs, "parts": parts, "variant": variant,
        "init": init, "magnitudes": magnitudes, "augment": augment, "schedule": schedule,
    }  # fmt: skip
    settings.update({k: v for k, v in optional.items() if v not in (None, "")})
    summary = finetune_run(backbone, data, target, MODES[mode], out, settings, fraction, seed)
    typer.echo(summary)
