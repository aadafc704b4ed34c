"""The property table of a dataset (seed 003 Table 2): R² of every property from every model.

One table per dataset whose cells predict two or more real-valued properties: a row per
backbone + protocol (kNN zero-shot, MLP few-shot, supervised training, ... side by side), the
modality its model reads (image, spectrum, catalog photometry), then the test R² of each
property (mean over seeds, at the largest label fraction). Single-column targets give their `r2`;
a multi-output target gives `<column>/r2` for each of its columns, so a supervised model
trained on all properties at once fills its row in one cell. Rows are sorted by modality, then
by the mean R² over the properties they predict. Properties keep the order of the widest
multi-output target (the suite's own order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from astrobench.bench.aggregate import GroupSummary

METRIC = "r2"


@dataclass
class PropertyTable:
    """A dataset's R² table: `columns` name the entries of every row."""

    dataset: str
    columns: list[str]
    rows: list[dict[str, str]]


def property_values(group: GroupSummary) -> dict[str, float]:
    """{property: mean R²} that this group's rows report (empty for other metrics)."""
    columns = [c.strip() for c in group.task.split(",")]
    if len(columns) == 1:
        found = {columns[0]: group.metrics.get(METRIC)}
    else:
        found = {c: group.metrics.get(f"{c}/{METRIC}") for c in columns}
    return {c: float(s.mean) for c, s in found.items() if s is not None}


def group_modality(group: GroupSummary) -> str:
    """The modality the group's model read: recorded by frozen (embedding) and trained rows."""
    extra = group.rows[0].extra
    embedding = extra.get("embedding")
    if isinstance(embedding, dict) and embedding.get("modality"):
        return str(embedding["modality"])
    return str(extra.get("modality", "image"))


def property_tables(groups: Sequence[GroupSummary]) -> list[PropertyTable]:
    """Tables of datasets with at least two properties scored by R² (none otherwise)."""
    by_dataset: dict[str, list[GroupSummary]] = defaultdict(list)
    for group in groups:
        by_dataset[group.dataset].append(group)
    tables = []
    for dataset, found in sorted(by_dataset.items()):
        top = max(g.fraction for g in found)
        scored = [(g, property_values(g)) for g in found if g.fraction == top]
        scored = [(g, values) for g, values in scored if values]
        properties = _ordered(scored)
        if len(properties) < 2:
            continue
        cells: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        modality: dict[tuple[str, str], str] = {}
        for group, values in scored:
            key = (group.backbone, group.protocol)
            cells[key].update(values)
            modality[key] = group_modality(group)
        order = sorted(cells, key=lambda k: (modality[k], -float(np.mean(list(cells[k].values())))))
        rows = [
            {
                "backbone": key[0],
                "protocol": key[1],
                "modality": modality[key],
                **{p: f"{cells[key][p]:.3f}" if p in cells[key] else "–" for p in properties},
            }
            for key in order
        ]
        columns = ["backbone", "protocol", "modality", *properties]
        tables.append(PropertyTable(dataset, columns, rows))
    return tables


def _ordered(scored: list[tuple[GroupSummary, dict[str, float]]]) -> list[str]:
    """Properties in the order of the widest multi-output target (the suite's own order), the
    rest as they come; redshift first otherwise."""
    seen = list(dict.fromkeys(p for _, values in scored for p in values))
    widest = max((list(values) for _, values in scored), key=len, default=[])
    rank = {p: i for i, p in enumerate(widest)} if len(widest) > 1 else {"redshift": -1}
    return sorted(seen, key=lambda p: (rank.get(p, len(rank)), seen.index(p)))
