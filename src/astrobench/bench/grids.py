"""Neighbour grids of a suite's encoder pairs (seed 003 Fig. 2), drawn after its cells.

For every dataset with spectra and every backbone naming an image-spectrum pair (a CLIP run,
`pretrained:<clip step>`), `astrobench search` draws spectrum queries from the test split and
their nearest images: DIR/grids/<dataset>__<hash>.png with a JSON sidecar (dataset, backbone,
query modality) that the report reads. Each grid is written atomically and reused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from astrobench.atomic import write_json_atomic
from astrobench.bench.suite import Suite, config_hash
from astrobench.data.cutout_file import open_cutouts
from astrobench.models.encoder_resolve import names_pair

GRID_QUERIES = 4
GRID_NEIGHBOURS = 6
QUERY_MODALITY = "spectrum"


def write_neighbour_grids(
    suite: Suite,
    out: Path,
    data_paths: dict[str, Path],
    backbone_specs: dict[str, str],
    *,
    say: Callable[[str], None],
) -> list[Path]:
    """PNG paths of every (dataset with spectra, encoder pair) grid, drawn when missing."""
    from astrobench.search import search

    written = []
    for dataset, data in data_paths.items():
        if not suite.datasets[dataset].targets:
            continue
        with open_cutouts(data) as cutouts:
            if not cutouts.has_spectra:
                continue
        for backbone, spec in backbone_specs.items():
            if not names_pair(spec):
                continue
            stem = (
                f"{dataset}__{config_hash({'b': spec, 'd': str(data), 'q': QUERY_MODALITY})[:12]}"
            )
            png = out / "grids" / f"{stem}.png"
            if not png.is_file():
                say(f"neighbour grid: {backbone} on {dataset}")
                meta = {"dataset": dataset, "backbone": backbone, "query": QUERY_MODALITY}
                write_json_atomic(png.with_suffix(".json"), meta)  # the PNG last: it marks done
                search(spec, data, png, QUERY_MODALITY, k=GRID_NEIGHBOURS, n_queries=GRID_QUERIES)
            written.append(png)
    return written
