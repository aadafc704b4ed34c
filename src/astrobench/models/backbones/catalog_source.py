"""`catalog:<columns>`: photometry as an encoder, the baseline every image model must beat.

`catalog:mag_u,mag_g,mag_r,mag_i,mag_z` gives, per object, the colours of adjacent listed bands
(mag_u - mag_g, ...) plus one magnitude (mag_r when listed, else the last): the inputs of the
photometry MLP of seed 003 and of seed 001's magnitude block. `catalog:colours` gives the colours
of the file's own `mag_<band>` columns, in band order, without a magnitude. Any other numeric
columns can be listed too (`catalog:mag_g,mag_r,size_arcsec`); every column but the magnitudes
passes through as it is.

Features are standardised by the median and the normalised median absolute deviation over all
objects of the file (no labels involved), so that kNN distances weigh every feature alike; the
frozen heads standardise on their own training rows on top of this. Non-finite values and the
usual sentinels (|m| >= 90, e.g. -99 or 99) are refused with the column and count.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.errors import ConfigError, NonFiniteDataError
from astrobench.models.backbone import Backbone
from astrobench.models.source import BackboneSource
from astrobench.models.spec import BackboneSpec, BuildOptions
from astrobench.registry import register_backbone

COLOURS = "colours"
REFERENCE_BAND = "mag_r"
SENTINEL_ABS = 90.0  # |value| at or above this is a placeholder (-99, 99, 999), not a magnitude


def catalog_columns(spec: BackboneSpec, file_columns: list[str], bands: list[str]) -> list[str]:
    """The columns a catalog spec reads from a file with these columns and bands."""
    if spec.name == COLOURS:
        columns = [f"mag_{b}" for b in bands if f"mag_{b}" in file_columns]
        if len(columns) < 2:
            raise ConfigError(
                "catalog:colours needs at least two mag_<band> columns in the file",
                f"the file has {', '.join(file_columns) or 'no catalog columns'}",
            )
        return columns
    columns = [c.strip() for c in spec.name.split(",") if c.strip()]
    missing = [c for c in columns if c not in file_columns]
    if missing:
        raise ConfigError(
            f"catalog encoder column {missing[0]!r} is not in the file",
            f"columns: {', '.join(file_columns)}",
        )
    return columns


def photometry_features(
    spec: BackboneSpec, values: dict[str, np.ndarray], columns: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Raw features [N, F] and their names: colours, a reference magnitude, other columns."""
    _check_values(values, columns)
    magnitudes = [c for c in columns if c.startswith(fmt.MAG_PREFIX)]
    others = [c for c in columns if not c.startswith(fmt.MAG_PREFIX)]
    features, names = [], []
    for blue, red in itertools.pairwise(magnitudes):
        features.append(values[blue] - values[red])
        names.append(f"{blue}-{red}")
    if magnitudes and spec.name != COLOURS:
        reference = REFERENCE_BAND if REFERENCE_BAND in magnitudes else magnitudes[-1]
        features.append(values[reference])
        names.append(reference)
    for column in others:
        features.append(values[column])
        names.append(column)
    return np.stack(features, axis=1).astype(np.float64), names  # [N, F]


def robust_standardise(features: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD) per column, over all objects; [N, F] float32."""
    median = np.median(features, axis=0)
    scale = 1.4826 * np.median(np.abs(features - median), axis=0)
    scale = np.where(scale > 0, scale, features.std(axis=0) + 1e-12)
    return ((features - median) / scale).astype(np.float32)


def catalog_embedding(spec: BackboneSpec, data: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Standardised photometry features of every object of `data`, and how they were made."""
    from astrobench.data.cutout_file import CutoutFile

    with CutoutFile(data) as cutouts:
        columns = catalog_columns(spec, cutouts.columns, list(cutouts.bands))
        values = {c: np.asarray(cutouts.column(c), dtype=np.float64) for c in columns}
    raw, names = photometry_features(spec, values, columns)
    meta = {"modality": "catalog", "columns": columns, "features": names, "spec": spec.raw}
    return robust_standardise(raw), meta


def _check_values(values: dict[str, np.ndarray], columns: list[str]) -> None:
    for column in columns:
        bad = ~np.isfinite(values[column])
        if column.startswith(fmt.MAG_PREFIX):
            bad |= np.abs(values[column]) >= SENTINEL_ABS
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise NonFiniteDataError(
                f"column {column!r} has {int(bad.sum())} missing or sentinel values "
                f"(first: object {first}, value {values[column][first]})",
                "use a file whose photometry is complete, or drop that column from the spec",
            )


def _no_model(spec: BackboneSpec, options: BuildOptions) -> Backbone:
    raise ConfigError(
        f"{spec.raw} has no weights to train: it is a fixed function of catalog columns",
        "use it with the frozen protocols (knn, linear, mlp, whitening)",
    )


def _catalog(spec: BackboneSpec) -> str:
    return "catalog"


register_backbone("catalog")(
    BackboneSource("catalog", _no_model, modality=_catalog, direct_features=catalog_embedding)
)
