"""A stand-in for the catalog side of a CutoutFile, for unit tests of task kinds."""

from __future__ import annotations

from typing import Any

import numpy as np


class FakeCutouts:
    """The catalog side of a CutoutFile: `column`, `has_column`, `label_names`."""

    def __init__(self, columns: dict[str, Any], label_names: list[str] | None = None) -> None:
        self.columns = {k: np.asarray(v) for k, v in columns.items()}
        self.label_names = label_names

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def has_column(self, name: str) -> bool:
        return name in self.columns
