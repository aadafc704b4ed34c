"""The report's embedding part for suites with physical properties and encoder pairs (seed 003):
maps coloured by class, redshift and sSFR, and the neighbour grids of similarity search.

Maps: the runner stores, for every backbone and dataset, a 2-D projection (UMAP of 10 principal
components; PCA only when umap-learn is missing, and then labelled so) of a class-balanced
sample, with the class and, where the file has them, `redshift` and `log_ssfr` of the same
objects (`column_<name>` arrays). A dataset whose maps carry those columns gets one figure: a
row per backbone, a column per colouring. Grids: DIR/grids/*.png with their JSON sidecars.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.report.property_maps import Colouring, property_maps

COLUMN_PREFIX = "column_"
COLUMN_TITLES = {"redshift": "redshift", "log_ssfr": "log sSFR [1/yr]"}


def load_property_maps(folder: Path, backbones: list[str]) -> dict[str, list[dict[str, Any]]]:
    """dataset -> stored maps (in suite backbone order) that carry property columns."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted((folder / "maps").glob("*.npz")):
        with np.load(path) as stored:
            meta = json.loads(str(stored["meta"]))
            columns = {
                k.removeprefix(COLUMN_PREFIX): stored[k]
                for k in stored.files
                if k.startswith(COLUMN_PREFIX)
            }
            if not columns or (backbones and meta["backbone"] not in backbones):
                continue
            entry = {**meta, "xy": stored["xy"], "colour": stored["colour"], "columns": columns}
            entry["indices"] = stored["indices"]
        found[meta["dataset"]].append(entry)
    order = {b: i for i, b in enumerate(backbones)}
    for maps in found.values():
        maps.sort(key=lambda m: order.get(m["backbone"], len(order)))
    return dict(found)


def property_map_figure(dataset: str, maps: list[dict[str, Any]]) -> tuple[str, bytes]:
    """(caption, PNG): every backbone's map coloured by class and each stored property."""
    first = maps[0]
    maps = [m for m in maps if np.array_equal(m["indices"], first["indices"])]  # same objects
    colourings = [Colouring("class", np.asarray(first["colour"]), list(first["names"]) or None)]
    colourings += [
        Colouring(COLUMN_TITLES.get(name, name), np.asarray(values))
        for name, values in first["columns"].items()
    ]
    panels = {m["backbone"]: (np.asarray(m["xy"]), str(m["method"])) for m in maps}
    methods = sorted({str(m["method"]) for m in maps})
    caption = (
        f"{dataset}: embeddings of a class-balanced sample ({len(first['indices'])} objects), "
        f"projected by {' / '.join(methods)}, coloured by class and by each property"
    )
    return caption, property_maps(panels, colourings, caption)


def neighbour_grids(folder: Path, backbones: list[str]) -> list[tuple[str, bytes, str]]:
    """(caption, PNG, slug) of each finished neighbour grid of the suite's encoder pairs, in the
    suite's backbone order."""
    found: list[tuple[int, str, bytes, str]] = []
    order = {b: i for i, b in enumerate(backbones)}
    for meta_path in sorted((folder / "grids").glob("*.json")):
        png = meta_path.with_suffix(".png")
        if not png.is_file():
            continue
        meta = json.loads(meta_path.read_text())
        if backbones and meta.get("backbone") not in backbones:
            continue
        caption = (
            f"{meta['dataset']}: {meta['query']} queries from the test split (red frame) and "
            f"their nearest neighbours of the other modality by {meta['backbone']} "
            "(cosine similarity; spectra under the cutouts, the query's in grey)"
        )
        rank = order.get(meta.get("backbone"), len(order))
        found.append((rank, caption, png.read_bytes(), f"grid_{meta_path.stem}"))
    found.sort(key=lambda entry: entry[0])
    return [(caption, png, slug) for _, caption, png, slug in found]
