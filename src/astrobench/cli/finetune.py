"""`astrobench finetune`: adapt a backbone to a target by training (full, partial, unfreeze,
lora, scratch, or AstroMAE's hybrid photo-z model) and write metrics.json, predictions.npz and
the checkpoints into --out.

Defaults come from the protocols' settings models (protocols/settings.py and each protocol's
own), so they live in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from astrobench.cli.app import app
from astrobench.protocols.settings import TrainSettings, field_default

MODES = {
    "full": "finetune",
    "partial": "partial",
    "unfreeze": "unfreeze",
    "lora": "lora",
    "scratch": "scratch",
    "hybrid": "hybrid",
}


def _train(name: str) -> Any:
    return field_default(TrainSettings, name)


@app.command("finetune")
def finetune(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="A cutout file (.h5)."),
    target: str = typer.Option(
        ..., "--target", help="Catalog column(s) to predict (label, redshift, a,b,c ...)."
    ),
    task: str | None = typer.Option(None, "--task", help="Force the task kind (e.g. regression)."),
    mode: str = typer.Option(
        "full", "--mode", help="full | partial | unfreeze | lora | scratch | hybrid."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    epochs: int = typer.Option(_train("epochs"), "--epochs"),
    lr: float | None = typer.Option(
        None, "--lr", help=f"Default {_train('lr'):g} (hybrid: 1e-4, seed 001 Table I)."
    ),
    layer_decay: float | None = typer.Option(
        None, "--layer-decay", help="Layer-wise lr decay (full: 0.75, others: 1)."
    ),
    blocks: int | None = typer.Option(None, "--blocks", help="Top blocks to train (partial: 2)."),
    batch_size: int = typer.Option(_train("batch_size"), "--batch-size"),
    fraction: float = typer.Option(1.0, "--fraction", help="Label fraction of the train split."),
    seed: int = typer.Option(0, "--seed"),
    split_seed: int = typer.Option(0, "--split-seed", help="Seed of the fixed split."),
    bands: str | None = typer.Option(None, "--bands", help="Bands to feed, e.g. g,r,z."),
    adapt: str | None = typer.Option(None, "--adapt", help="select:g,r,z | inflate | adapter"),
    lora_rank: int | None = typer.Option(None, "--lora-rank", help="LoRA rank (8)."),
    lora_alpha: int | None = typer.Option(None, "--lora-alpha", help="LoRA alpha (16)."),
    lora_dropout: float | None = typer.Option(None, "--lora-dropout"),
    unfreeze_after: int | None = typer.Option(
        None, "--unfreeze-after", help="Head-only epochs (unfreeze: 10)."
    ),
    precision: str = typer.Option(_train("precision"), "--precision", help="fp32 | bf16 | fp16."),
    num_workers: int = typer.Option(_train("num_workers"), "--num-workers"),
    device: str = typer.Option(_train("device"), "--device", help="auto | cpu | cuda | mps."),
    warmup_epochs: float | None = typer.Option(
        None, "--warmup-epochs", help=f"Default {_train('warmup_epochs'):g} (hybrid: 0)."
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="cosine | cyclic | multistep | constant (hybrid: cyclic)."
    ),
    ema_decay: float = typer.Option(0.0, "--ema-decay", help="0 disables the weight EMA."),
    checkpoint_every_steps: int = typer.Option(0, "--checkpoint-every-steps", help="0: per epoch."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the newest checkpoint in --out."
    ),
    augment: str | None = typer.Option(
        None, "--augment", help="flip | flip_rotate | astromae | flip+rotate45+noise0.2 | none."
    ),
    split_scheme: str | None = typer.Option(
        None, "--split-scheme", help="standard | disjoint (seed 001: a separate 10 % pool)."
    ),
    parts: str | None = typer.Option(
        None, "--parts", help="hybrid: parts of the model, e.g. vit,inception,magnitude."
    ),
    variant: str | None = typer.Option(
        None, "--variant", help="hybrid: a named variant, e.g. pcm-astromae or henghes."
    ),
    init: str | None = typer.Option(None, "--init", help="hybrid: pretrained | scratch ViT."),
    magnitudes: str | None = typer.Option(
        None, "--magnitudes", help="hybrid: magnitude columns (mag_u,mag_g,...) or auto."
    ),
) -> None:
    """Fine-tune a backbone on one target and score it on the test split."""
    from astrobench.errors import ConfigError
    from astrobench.protocols.finetune_run import finetune_run
    from astrobench.train.device import check_device

    check_device(device)

    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r}", f"use one of {', '.join(MODES)}")
    train = {
        "epochs": epochs, "batch_size": batch_size, "precision": precision,
        "num_workers": num_workers, "device": device,
        "ema_decay": ema_decay or None, "checkpoint_every_steps": checkpoint_every_steps or None,
    }  # fmt: skip
    # Left out when not given, so each protocol's settings model supplies its own default.
    optional_train = {"lr": lr, "warmup_epochs": warmup_epochs, "schedule": schedule}
    train.update({k: v for k, v in optional_train.items() if v is not None})
    own = {
        "layer_decay": layer_decay, "blocks": blocks, "lora_rank": lora_rank,
        "lora_alpha": lora_alpha, "lora_dropout": lora_dropout, "unfreeze_after": unfreeze_after,
        "augment": augment, "split_scheme": split_scheme, "parts": parts, "variant": variant,
        "init": init, "magnitudes": magnitudes,
    }  # fmt: skip
    embed = {"bands": bands, "adapt": adapt}
    settings: dict[str, Any] = {
        "train": train,
        "split_seed": split_seed,
        "resume": resume,
        "embed": {k: v for k, v in embed.items() if v is not None},
        **{k: v for k, v in own.items() if v is not None},
    }
    summary = finetune_run(
        backbone, data, target, MODES[mode], out, settings, fraction, seed, task_kind=task
    )
    typer.echo(summary)
