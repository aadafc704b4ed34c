"""Deterministic, stratified splits and nested label-fraction / few-shot subsets.

Everything is a pure function of (seed, strata): NumPy's PCG64 generator gives the same stream on
every platform, so the same seed selects the same objects on any machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError, InsufficientDataError

DEFAULT_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
_N_REGRESSION_BINS = 10


def strata_for(values: np.ndarray, n_bins: int = _N_REGRESSION_BINS) -> np.ndarray:
    """Integer strata: class labels as they are; a continuous column cut into quantile bins."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    finite = np.isfinite(values)
    edges = np.quantile(values[finite], np.linspace(0, 1, n_bins + 1)[1:-1]) if finite.any() else []
    strata = np.searchsorted(edges, values, side="right").astype(np.int64)
    strata[~finite] = -1
    return strata


def _stratified_order(strata: np.ndarray, seed: int) -> list[np.ndarray]:
    """For each stratum (sorted), its member positions in a seeded random order."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(np.flatnonzero(strata == s)) for s in np.unique(strata)]


def stratified_split(
    strata: np.ndarray, seed: int, fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS
) -> dict[str, np.ndarray]:
    """train / val / test positions (sorted), each stratum divided in the given proportions."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1):
        raise ConfigError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for members in _stratified_order(np.asarray(strata), seed):
        n = len(members)
        n_val = int(round(fractions[1] * n))  # noqa: RUF046 (NumPy floats round to floats)
        n_test = int(round(fractions[2] * n))  # noqa: RUF046
        parts["val"].append(members[:n_val])
        parts["test"].append(members[n_val : n_val + n_test])
        parts["train"].append(members[n_val + n_test :])
    return {name: np.sort(np.concatenate(p)).astype(np.int64) for name, p in parts.items()}


def split_indices(
    cutouts: CutoutFile,
    seed: int = 0,
    stratify: str | None = fmt.LABEL,
    fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS,
) -> dict[str, np.ndarray]:
    """The file's own `split` column if it has one, else a stratified split from (seed, column)."""
    if cutouts.has_column(fmt.SPLIT):
        split = cutouts.column(fmt.SPLIT)
        return {name: np.flatnonzero(split == code) for name, code in fmt.SPLIT_CODES.items()}
    if stratify is not None and cutouts.has_column(stratify):
        strata = strata_for(cutouts.column(stratify))
    else:
        strata = np.zeros(len(cutouts), dtype=np.int64)
    return stratified_split(strata, seed, fractions)


def label_fraction_subset(
    indices: np.ndarray, strata: np.ndarray, fraction: float, seed: int
) -> np.ndarray:
    """A stratified subset of `indices` holding `fraction` of each stratum.

    Nested: for one seed, the subset at a smaller fraction lies inside the one at a larger
    fraction, because every fraction takes a prefix of the same per-stratum permutation.
    `strata` has one entry per element of `indices`.
    """
    if not 0 < fraction <= 1:
        raise ConfigError(f"label fraction must be in (0, 1], got {fraction}")
    indices = np.asarray(indices)
    chosen = []
    for members in _stratified_order(np.asarray(strata), seed):
        take = max(1, math.ceil(fraction * len(members)))
        chosen.append(indices[members[:take]])
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def few_shot_subset(
    indices: np.ndarray, labels: np.ndarray, n_per_class: int, seed: int
) -> np.ndarray:
    """`n_per_class` objects of every class (nested in n for one seed)."""
    indices = np.asarray(indices)
    chosen = []
    for members in _stratified_order(np.asarray(labels), seed):
        if len(members) < n_per_class:
            label = int(np.asarray(labels)[members[0]])
            raise InsufficientDataError(
                f"class {label} has only {len(members)} labelled objects, {n_per_class} asked for",
                "ask for fewer per class or use a label fraction",
            )
        chosen.append(indices[members[:n_per_class]])
    return np.sort(np.concatenate(chosen)).astype(np.int64)
