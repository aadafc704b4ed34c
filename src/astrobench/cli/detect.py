"""`astrobench detect`: train and evaluate a Faster R-CNN detector on any backbone; write
metrics.json, COCO predictions.json and gt.json into --out."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from astrobench.cli.app import app


@app.command("detect")
def detect(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="A cutout file with boxes (.h5)."),
    mode: str = typer.Option("finetune", "--mode", help="frozen | finetune."),
    epochs: int = typer.Option(10, "--epochs"),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    lr: float = typer.Option(2e-4, "--lr"),
    layer_decay: float = typer.Option(0.75, "--layer-decay", help="Layer-wise lr decay."),
    batch_size: int = typer.Option(8, "--batch-size"),
    seed: int = typer.Option(0, "--seed"),
    split_seed: int = typer.Option(0, "--split-seed"),
    neck: str = typer.Option("", "--neck", help="fpn | simple_pyramid (default by backbone)."),
    adapt: str = typer.Option("", "--adapt", help="Band strategy: select:g,r,z | inflate."),
    stretch: str = typer.Option(
        "auto", "--stretch", help="auto: asinh(x / sky sigma) for random-init backbones; none."
    ),
    device: str = typer.Option("auto", "--device"),
    resume: bool = typer.Option(False, "--resume", help="Continue from out/checkpoints."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Detect sources: Faster R-CNN with an FPN (CNNs) or a ViTDet pyramid (ViTs)."""
    from astrobench.protocols.detect import detect as run
    from astrobench.protocols.detect import detect_settings

    settings = detect_settings(
        {
            "epochs": epochs,
            "lr": lr,
            "layer_decay": layer_decay,
            "batch_size": batch_size,
            "seed": seed,
            "split_seed": split_seed,
            "mode": mode,
            "neck": neck or None,
            "embed": {"adapt": adapt or None},
            "device": device,
            "resume": resume,
            "stretch": stretch,
        }
    )
    result = run(backbone, data, mode, out, settings)
    metrics = result.metrics
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    typer.echo(
        f"{backbone} ({mode}, {result.info['neck']}): AP50 {metrics['AP50']:.3f}  "
        f"AP {metrics['AP']:.3f}  AR@100 {metrics['AR@100']:.3f}  "
        f"train {result.info['train_seconds']:.0f} s -> {result.out}"
    )
