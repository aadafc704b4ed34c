"""`search`: similarity search in an embedding space, drawn as a neighbour grid.

For a CLIP run (`ckpt:DIR` holding image/ and spectrum/), queries of one modality are searched
among the objects of either modality (cross-modal by default, as AstroCLIP's spectrum-to-image
search); for a single encoder, among the same modality. Queries are drawn at random (seeded)
from the file's test split; the database is the whole test split, query left out in-modal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astrobench.atomic import write_bytes_atomic
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.spectrum_dataset import read_spectra, require_spectra
from astrobench.data.splits import split_indices
from astrobench.errors import ConfigError
from astrobench.metrics.retrieval import search as nearest
from astrobench.models.aligned.embed import embed_modalities
from astrobench.models.encoder_resolve import resolve_encoders
from astrobench.report.neighbour_grid import GridRow, neighbour_grid

MODALITIES = ("image", "spectrum")


@dataclass
class SearchResult:
    """The queries, their neighbours (file indices) and similarities, and the figure path."""

    queries: np.ndarray  # [Q]
    neighbours: np.ndarray  # [Q, k]
    similarities: np.ndarray  # [Q, k]
    out: Path


def _rows(
    data: Path, queries: np.ndarray, neighbours: np.ndarray, sims: np.ndarray
) -> list[GridRow]:
    rows = []
    with CutoutFile(data) as cutouts:
        z = cutouts.column("redshift") if cutouts.has_column("redshift") else None
        has_spectra = cutouts.has_spectra
        for q, ids, s in zip(queries, neighbours, sims, strict=True):
            members = np.concatenate([[q], ids])
            images = cutouts.read_images(members)
            spectra = read_spectra(data, members)[0] if has_spectra else None
            labels = [
                f"#{int(i)}"
                + (f" z={z[i]:.3f}" if z is not None else "")
                + (f"\ncos {v:.2f}" if j else "\nquery")
                for j, (i, v) in enumerate(zip(members, [1.0, *s], strict=True))
            ]
            rows.append(GridRow(images, spectra, labels))
    return rows


def search(
    backbone: str,
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    query_modality: str = "image",
    target_modality: str | None = None,
    k: int = 8,
    n_queries: int = 5,
    seed: int = 0,
) -> SearchResult:
    """Search `n_queries` random test objects' `query_modality` embeddings; write a PNG grid."""
    if query_modality not in MODALITIES:
        raise ConfigError(f"unknown query modality {query_modality!r}", "use image or spectrum")
    path = Path(data)
    if query_modality == "spectrum":
        with CutoutFile(path) as cutouts:
            require_spectra(cutouts)
    encoders = resolve_encoders(backbone, path)
    if query_modality not in encoders:
        raise ConfigError(
            f"{backbone} has no {query_modality} encoder", f"it has: {', '.join(encoders)}"
        )
    other = [m for m in encoders if m != query_modality]
    target = target_modality or (other[0] if other else query_modality)
    if target not in encoders:
        raise ConfigError(f"{backbone} has no {target} encoder", f"it has: {', '.join(encoders)}")
    with CutoutFile(path) as cutouts:
        if "spectrum" in (query_modality, target):
            require_spectra(cutouts)
        test = split_indices(cutouts, seed=0)["test"]
    if test.size < k + 1:
        raise ConfigError(f"{path.name} has {test.size} test objects, fewer than k + 1 = {k + 1}")
    z = embed_modalities({m: encoders[m] for m in {query_modality, target}}, path, test)
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(test.size, size=min(n_queries, test.size), replace=False))
    ids, sims = nearest(z[query_modality], z[target], k, exclude_self=target == query_modality)
    queries, neighbours = test[picks], test[ids[picks]]
    title = f"{query_modality} queries -> {target} neighbours ({backbone}, cosine similarity)"
    png = neighbour_grid(_rows(path, queries, neighbours, sims[picks]), _grid(path), title)
    write_bytes_atomic(out, png)
    return SearchResult(queries, neighbours, sims[picks], Path(out))


def _grid(data: Path) -> np.ndarray | None:
    with CutoutFile(data) as cutouts:
        return cutouts.wavelength_angstrom
