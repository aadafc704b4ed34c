"""`astrobench search`: similarity search drawn as a neighbour grid (cutouts with spectra)."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import app


@app.command("search")
def search(
    backbone: str = typer.Option(
        ..., "--backbone", help="Encoder spec: ckpt:CLIP_DIR (both towers), ckpt:DIR?modality=..."
    ),
    data: Path = typer.Option(..., "--data", help="Cutout file (.h5)."),
    query_modality: str = typer.Option(
        "image", "--query-modality", help="Modality of the queries: image or spectrum."
    ),
    target_modality: str = typer.Option(
        "", "--target-modality", help="Modality searched; empty: the other one if there is one."
    ),
    k: int = typer.Option(8, "--k", help="Neighbours per query."),
    n_queries: int = typer.Option(5, "--queries", help="Random test-split queries."),
    seed: int = typer.Option(0, help="Seed of the query draw."),
    out: Path = typer.Option(..., "--out", help="PNG of the neighbour grid."),
) -> None:
    """Find each query's nearest neighbours by cosine similarity and draw them."""
    from astrobench.search import search as run_search

    result = run_search(
        backbone, data, out, query_modality, target_modality or None, k, n_queries, seed
    )
    mean = float(result.similarities.mean()) if result.similarities.size else float("nan")
    typer.echo(f"wrote {result.out}  ({len(result.queries)} queries, mean cosine {mean:.3f})")
