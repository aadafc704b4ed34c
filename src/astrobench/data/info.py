"""`data info`: a JSON-able description of a cutout file, and its human-readable rendering."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_file import CutoutFile


def describe_cutouts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Counts, bands, shapes, columns, label counts with names, redshift range, provenance."""
    with CutoutFile(path) as cutouts:
        c, h, w = cutouts.image_shape
        attrs = cutouts.attrs
        description: dict[str, Any] = {
            "path": str(cutouts.path),
            "n_objects": len(cutouts),
            "bands": cutouts.bands,
            "image_shape": [c, h, w],
            "pixel_scale_arcsec": cutouts.pixel_scale_arcsec,
            "image_unit": attrs.get("image_unit"),
            "survey": attrs.get("survey"),
            "source": attrs.get("source"),
            "license": attrs.get("license"),
            "citation": attrs.get("citation"),
            "created_by": attrs.get("created_by"),
            "columns": cutouts.columns,
            "has_spectra": cutouts.has_spectra,
            "has_boxes": cutouts.has_boxes,
            "labels": _label_counts(cutouts),
            "redshift": _redshift_range(cutouts),
            "splits": _split_counts(cutouts),
        }
        if cutouts.has_boxes:
            description["boxes"] = _box_counts(cutouts)
        if cutouts.has_spectra and cutouts.wavelength_angstrom is not None:
            wave = cutouts.wavelength_angstrom
            description["spectra"] = {
                "n_pixels": int(wave.size),
                "wavelength_angstrom": [float(wave.min()), float(wave.max())],
            }
    return description


def _box_counts(cutouts: CutoutFile) -> list[dict[str, Any]]:
    """Boxes per box class (name from /box_labels' label_names)."""
    table = cutouts.box_table()
    names = table.label_names
    values, counts = np.unique(table.labels, return_counts=True)
    return [
        {"label": int(v), "name": names[v] if 0 <= v < len(names) else "", "count": int(n)}
        for v, n in zip(values.tolist(), counts.tolist(), strict=True)
    ]


def _label_counts(cutouts: CutoutFile) -> list[dict[str, Any]] | None:
    if not cutouts.has_column(fmt.LABEL):
        return None
    labels = cutouts.column(fmt.LABEL)
    names = cutouts.label_names or []
    values, counts = np.unique(labels, return_counts=True)
    return [
        {
            "label": int(v),
            "name": names[v] if 0 <= v < len(names) else ("none" if v == fmt.NO_LABEL else ""),
            "count": int(n),
        }
        for v, n in zip(values.tolist(), counts.tolist(), strict=True)
    ]


def _redshift_range(cutouts: CutoutFile) -> dict[str, float] | None:
    if not cutouts.has_column(fmt.REDSHIFT):
        return None
    z = cutouts.column(fmt.REDSHIFT).astype(np.float64)
    z = z[np.isfinite(z)]
    if z.size == 0:
        return None
    return {"min": float(z.min()), "median": float(np.median(z)), "max": float(z.max())}


def _split_counts(cutouts: CutoutFile) -> dict[str, int] | None:
    if not cutouts.has_column(fmt.SPLIT):
        return None
    split = cutouts.column(fmt.SPLIT)
    return {name: int((split == code).sum()) for name, code in fmt.SPLIT_CODES.items()}


def format_description(description: dict[str, Any]) -> str:
    """A short plain-text rendering of `describe_cutouts`."""
    c, h, w = description["image_shape"]
    lines = [
        f"file:        {description['path']}",
        f"objects:     {description['n_objects']}",
        f"bands:       {','.join(description['bands'])}  ({c} x {h} x {w} px, "
        f"{description['pixel_scale_arcsec']:.3f} arcsec/px, unit {description['image_unit']})",
        f"survey:      {description['survey']}",
        f"source:      {description['source']}",
        f"licence:     {description['license']}",
    ]
    if description.get("citation"):
        lines.append(f"citation:    {description['citation']}")
    if description["redshift"]:
        z = description["redshift"]
        lines.append(f"redshift:    {z['min']:.4f} .. {z['max']:.4f} (median {z['median']:.4f})")
    if description["splits"]:
        lines.append(
            "splits:      " + ", ".join(f"{k} {v}" for k, v in description["splits"].items())
        )
    lines.append(f"spectra:     {'yes' if description['has_spectra'] else 'no'}")
    boxes = description.get("boxes")
    if boxes:
        per_class = ", ".join(f"{e['name'] or e['label']} {e['count']}" for e in boxes)
        lines.append(f"boxes:       {sum(e['count'] for e in boxes)} ({per_class})")
    else:
        lines.append(f"boxes:       {'yes (none drawn)' if description['has_boxes'] else 'no'}")
    lines.append(f"columns:     {', '.join(description['columns'])}")
    if description["labels"]:
        lines.append("labels:")
        lines += [f"  {e['label']:>3}  {e['count']:>7}  {e['name']}" for e in description["labels"]]
    return "\n".join(lines)
