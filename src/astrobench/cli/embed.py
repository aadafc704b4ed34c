"""`astrobench embed`: embeddings of every object of a cutout file, through the cache."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import app
from astrobench.errors import ConfigError


@app.command("embed")
def embed(
    backbone: str = typer.Option(..., "--backbone", help="Backbone spec, e.g. vit_tiny_p8."),
    data: Path = typer.Option(..., "--data", help="Cutout file (HDF5)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the features (.npy or .npz)."),
    batch_size: int = typer.Option(256, "--batch-size", min=1),
    bands: str | None = typer.Option(None, "--bands", help="Bands to feed, e.g. g,r,z."),
    img_size: int | None = typer.Option(None, "--img-size", min=1),
    adapt: str | None = typer.Option(None, "--adapt", help="select:g,r,z | inflate | adapter"),
    pooling: str | None = typer.Option(None, "--pooling", help="cls | mean (transformers)"),
    device: str = typer.Option("cpu", "--device"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir"),
) -> None:
    """Embed every object of DATA with BACKBONE (cached: a second run loads the result)."""
    from astrobench.data.cutout_file import CutoutFile

    if out is not None and out.suffix not in (".npy", ".npz"):
        raise ConfigError(f"--out {out}: unknown format", "use a .npy or .npz file name")
    with CutoutFile(data):  # a bad file is refused before torch and the model load
        pass
    import numpy as np

    from astrobench.models.embeddings import embed_file
    from astrobench.train.device import check_device

    check_device(device)
    result = embed_file(
        backbone,
        data,
        cache_dir=cache_dir,
        batch_size=batch_size,
        bands=[b.strip() for b in bands.split(",") if b.strip()] if bands else None,
        img_size=img_size,
        device=device,
        adapt=adapt,
        pooling=pooling,
    )
    if out is not None:
        from astrobench.atomic import atomic_path

        with atomic_path(out) as tmp, open(tmp, "wb") as handle:
            if out.suffix == ".npz":
                np.savez(handle, features=result.features, index=np.arange(result.n_objects))
            else:
                np.save(handle, result.features)
    origin = "cache" if result.from_cache else "computed"
    typer.echo(
        f"{result.n_objects} x {result.dim} embeddings ({origin}, {result.seconds:.2f} s, "
        f"{result.params_total:,} parameters) key {result.key[:16]} -> {out or result.path}"
    )
