"""Guards on regression target columns before a model is fitted to them.

Catalogues mark missing measurements in many ways. NaN and infinity are obvious; *sentinel*
codes are not: −99 or 99 (photometry non-detections), −99.99/99.99, −999/999 and −9999/9999
(SDSS and many pipelines) look like numbers, and one of them in a redshift column wrecks the
standardisation and the fitted density without any error. `SENTINEL_VALUES` is that documented
set; values equal to one of them, or non-finite, are *invalid*. Each check raises a DataError
naming the column and the count, with what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from astrobench.errors import DataError, InsufficientDataError

SENTINEL_VALUES: tuple[float, ...] = (-99.0, 99.0, -99.99, 99.99, -999.0, 999.0, -9999.0, 9999.0)


def invalid_target_counts(
    values: np.ndarray, sentinels: Sequence[float] = SENTINEL_VALUES
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Non-finite count per column [T], and for each sentinel found its count per column [T]."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)  # [N, T]
    non_finite = np.sum(~np.isfinite(values), axis=0)
    found = {float(s): np.sum(values == s, axis=0) for s in sentinels}
    return non_finite, {s: counts for s, counts in found.items() if counts.any()}


def check_valid_targets(
    values: np.ndarray, columns: Sequence[str], sentinels: Sequence[float] = SENTINEL_VALUES
) -> None:
    """Raise a DataError naming the first column with NaN/inf or sentinel-coded values.

    Args:
        values: [N] or [N, T] target values of the objects being used (labelled objects).
        columns: the T column names, for the message.
        sentinels: the codes that mean "no measurement".
    """
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    valid = np.all(np.isfinite(values), axis=1) & ~np.isin(values, list(sentinels)).any(axis=1)
    if not valid.all():
        raise DataError(
            f"{_first_invalid_column(values, columns, sentinels)} among {len(values)} "
            "labelled objects",
            "codes such as -99 mean 'no measurement': write NaN there (objects with NaN "
            "targets count as unlabelled) or fix the catalog",
        )


def _first_invalid_column(
    values: np.ndarray, columns: Sequence[str], sentinels: Sequence[float]
) -> str:
    """'target column 'z' has 3 NaN/inf and 5 sentinel (-99: 5) values' for the first bad column."""
    non_finite, found = invalid_target_counts(values, sentinels)
    for column, name in enumerate(columns):
        codes = [f"{s:g}: {int(c[column])}" for s, c in found.items() if c[column]]
        parts = [f"{int(non_finite[column])} NaN/inf"] if non_finite[column] else []
        if codes:
            total = sum(int(c[column]) for c in found.values())
            parts.append(f"{total} sentinel ({', '.join(codes)})")
        if parts:
            return f"target column {name!r} has {' and '.join(parts)} values"
    return "a target column has invalid values"


def check_not_constant(values: np.ndarray, columns: Sequence[str]) -> None:
    """Raise a DataError naming the first column whose values are all equal."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    for column, name in enumerate(columns):
        if values.shape[0] and np.ptp(values[:, column]) == 0:
            raise DataError(
                f"target column {name!r} is constant ({values[0, column]:g}) over "
                f"{len(values)} training objects",
                "a constant has no posterior to learn: drop the column from --target",
            )


def check_enough_objects(counts: dict[str, int], minimum: dict[str, int], what: str) -> None:
    """Raise an InsufficientDataError when a split has fewer objects than `what` needs."""
    for split, needed in minimum.items():
        if counts.get(split, 0) < needed:
            raise InsufficientDataError(
                f"{what} needs at least {needed} labelled {split} objects, "
                f"got {counts.get(split, 0)}",
                "label more objects or use a larger label fraction",
            )
