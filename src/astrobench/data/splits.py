"""Deterministic, stratified splits and nested label-fraction / few-shot subsets.

Everything is a pure function of (seed, strata): NumPy's PCG64 generator gives the same stream on
every platform, so the same seed selects the same objects on any machine.

Two split schemes (`scheme=`):
- "standard": one train/val/test split (80/10/10) that pretraining and every protocol share;
  pretraining uses its train and val parts, so it never sees a test object.
- "disjoint": seed 001's first experiment (§III-A). The objects are first divided into pools:
  80 % for pretraining, 10 % for pretraining validation, and a separate 10 % for fine-tuning,
  which alone is split 70/10/20 into train/val/test. Pretraining (`role="pretrain"`) then never
  sees an object that fine-tuning trains, selects or is scored on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError, InsufficientDataError

DEFAULT_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
DISJOINT_POOL_FRACTIONS = (0.8, 0.1, 0.1)  # pretrain, pretrain validation, fine-tune
DISJOINT_FINETUNE_FRACTIONS = (0.7, 0.1, 0.2)  # train / val / test within the fine-tune pool
SPLIT_SCHEMES = ("standard", "disjoint")
SPLIT_ROLES = ("finetune", "pretrain")
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
    _check_fractions(fractions)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for members in _stratified_order(np.asarray(strata), seed):
        n = len(members)
        n_val = int(round(fractions[1] * n))  # noqa: RUF046 (NumPy floats round to floats)
        n_test = int(round(fractions[2] * n))  # noqa: RUF046
        parts["val"].append(members[:n_val])
        parts["test"].append(members[n_val : n_val + n_test])
        parts["train"].append(members[n_val + n_test :])
    return {name: np.sort(np.concatenate(p)).astype(np.int64) for name, p in parts.items()}


def disjoint_pools(
    n: int, seed: int, fractions: Sequence[float] = DISJOINT_POOL_FRACTIONS
) -> dict[str, np.ndarray]:
    """Positions 0..n-1 divided at random into "pretrain", "pretrain_val" and "finetune" pools.

    The three pools are disjoint and cover every object; each is sorted. A pure function of
    (n, seed, fractions).
    """
    _check_fractions(fractions)
    order = np.random.default_rng([seed, 0x5EED]).permutation(n)
    n_pretrain = int(round(fractions[0] * n))  # noqa: RUF046
    n_val = int(round(fractions[1] * n))  # noqa: RUF046
    cuts = np.split(order, [n_pretrain, n_pretrain + n_val])
    return {
        name: np.sort(part).astype(np.int64)
        for name, part in zip(("pretrain", "pretrain_val", "finetune"), cuts, strict=True)
    }


def split_indices(
    cutouts: CutoutFile,
    seed: int = 0,
    stratify: str | None = fmt.LABEL,
    fractions: Sequence[float] | None = None,
    *,
    scheme: str = "standard",
    role: str = "finetune",
) -> dict[str, np.ndarray]:
    """train / val / test object indices for one consumer of a file.

    Args:
        cutouts: the open cutout file.
        seed: seed of the split.
        stratify: column whose classes (or quantile bins) each part keeps in proportion.
        fractions: train/val/test fractions (default 80/10/10; 70/10/20 of the fine-tune pool
            under the disjoint scheme).
        scheme: "standard" (the file's own `split` column if it has one, else a stratified
            split from (seed, column)) or "disjoint" (see the module docstring).
        role: who asks: "finetune" (every protocol) or "pretrain"; under the standard scheme
            both get the same split, under the disjoint one pretraining gets its own pools
            (train, val; no test).
    """
    if scheme not in SPLIT_SCHEMES or role not in SPLIT_ROLES:
        raise ConfigError(
            f"unknown split scheme {scheme!r} or role {role!r}",
            f"schemes: {', '.join(SPLIT_SCHEMES)}; roles: {', '.join(SPLIT_ROLES)}",
        )
    if scheme == "disjoint":
        return _disjoint_split(cutouts, seed, stratify, fractions, role)
    fractions = DEFAULT_SPLIT_FRACTIONS if fractions is None else fractions
    if cutouts.has_column(fmt.SPLIT):
        split = cutouts.column(fmt.SPLIT)
        return {name: np.flatnonzero(split == code) for name, code in fmt.SPLIT_CODES.items()}
    if stratify is not None and cutouts.has_column(stratify):
        strata = strata_for(cutouts.column(stratify))
    else:
        strata = np.zeros(len(cutouts), dtype=np.int64)
    return stratified_split(strata, seed, fractions)


def _disjoint_split(
    cutouts: CutoutFile,
    seed: int,
    stratify: str | None,
    fractions: Sequence[float] | None,
    role: str,
) -> dict[str, np.ndarray]:
    if cutouts.has_column(fmt.SPLIT):
        raise ConfigError(
            "the disjoint split scheme cannot be used on a file with its own `split` column",
            "use split_scheme standard for this file",
        )
    pools = disjoint_pools(len(cutouts), seed)
    if role == "pretrain":
        empty = np.zeros(0, dtype=np.int64)
        return {"train": pools["pretrain"], "val": pools["pretrain_val"], "test": empty}
    members = pools["finetune"]
    if stratify is not None and cutouts.has_column(stratify):
        strata = strata_for(cutouts.column(stratify)[members])
    else:
        strata = np.zeros(members.size, dtype=np.int64)
    parts = stratified_split(strata, seed, fractions or DISJOINT_FINETUNE_FRACTIONS)
    return {name: members[positions] for name, positions in parts.items()}


def _check_fractions(fractions: Sequence[float]) -> None:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1):
        raise ConfigError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions}"
        )


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
