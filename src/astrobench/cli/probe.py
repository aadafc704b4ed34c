"""`astrobench probe`: frozen-backbone evaluation ladder (knn, linear, mlp, whitening)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from astrobench.cli.app import app
from astrobench.errors import ConfigError
from astrobench.protocols.settings import EmbedSettings, ProtocolSettings, field_default


@app.command("probe")
def probe(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="Cutout file (HDF5)."),
    target: str = typer.Option(
        "label",
        "--target",
        help="label | redshift | any catalog column | several, comma-separated (multi-output).",
    ),
    task: str | None = typer.Option(
        None, "--task", help="Force the task kind, e.g. regression on an integer column."
    ),
    protocol: str = typer.Option("knn,linear,mlp", "--protocol", help="Comma-separated."),
    fractions: str = typer.Option("0.1,0.3,1.0", "--fractions", help="Label fractions."),
    seeds: str = typer.Option("0,1,2", "--seeds", help="Run seeds (subset and init)."),
    n_per_class: str = typer.Option("", "--n-per-class", help="Few-shot sizes (per class)."),
    out: Path | None = typer.Option(None, "--out", help="Write results.json and predictions/."),
    as_json: bool = typer.Option(False, "--json", help="Print the per-cell records as JSON."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Embedding cache root."),
    batch_size: int = typer.Option(
        field_default(EmbedSettings, "batch_size"), "--batch-size", min=1
    ),
    bands: str | None = typer.Option(None, "--bands", help="Bands to feed, e.g. g,r,z."),
    img_size: int | None = typer.Option(None, "--img-size", min=1),
    adapt: str | None = typer.Option(None, "--adapt", help="select:g,r,z | inflate | adapter"),
    device: str = typer.Option(field_default(EmbedSettings, "device"), "--device"),
    split_seed: int = typer.Option(
        field_default(ProtocolSettings, "split_seed"), "--split-seed", help="Seed of the split."
    ),
) -> None:
    """Embed DATA with BACKBONE once, fit every frozen head on every fraction and seed."""
    from astrobench.protocols.probe import probe as run_probe
    from astrobench.train.device import check_device

    check_device(device)

    embed: dict[str, Any] = {
        "batch_size": batch_size,
        "bands": bands,
        "img_size": img_size,
        "adapt": adapt,
        "device": device,
    }
    settings = {
        "split_seed": split_seed,
        "embed": {k: v for k, v in embed.items() if v is not None},
    }
    report = run_probe(
        backbone,
        data,
        target,
        _names(protocol),
        _numbers(fractions, float, "--fractions"),
        _numbers(seeds, int, "--seeds"),
        task_kind=task,
        n_per_class=_numbers(n_per_class, int, "--n-per-class"),
        out=out,
        cache_dir=cache_dir,
        settings=settings,
        progress=sys.stdout.isatty(),
    )
    if as_json:
        records = [r.record() for r in report.results]
        typer.echo(json.dumps({**report.header, "records": records}, indent=2, default=_plain))
    else:
        _print_table(report)
    if report.results_path is not None and not as_json:
        typer.echo(f"wrote {report.results_path} and {report.results_path.parent / 'predictions'}")


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError("--protocol is empty", "e.g. --protocol knn,linear,mlp,whitening")
    return names


def _numbers(text: str, kind: type, option: str) -> list[Any]:
    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a comma-separated list of numbers") from None


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def _print_table(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    metrics = report.shown_metrics
    task = report.task
    arrow = "↑" if task.higher_is_better else "↓"
    table = Table(title=f"{report.header['backbone']} → {task.target} ({task.kind})")
    for column in ("protocol", "fraction", "n_train", "seeds"):
        table.add_column(column, justify="right" if column != "protocol" else "left")
    table.add_column(f"{metrics[0]} {arrow} (mean ± std)", justify="right")
    table.add_column("min–max", justify="right")
    for name in metrics[1:]:
        table.add_column(name, justify="right")
    for row in report.summary:
        amount = f"n={row['n_per_class']}" if row["n_per_class"] else f"{row['fraction']:g}"
        summaries = row["metrics"]
        headline = summaries[metrics[0]]
        table.add_row(
            row["protocol"],
            amount,
            str(row["n_train"]),
            str(len(row["seeds"])),
            headline.mean_std(3),
            headline.min_max(3),
            *(summaries[m].mean_std(3) if m in summaries else "–" for m in metrics[1:]),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a file or pipe: do not wrap the table
    console.print(table)
