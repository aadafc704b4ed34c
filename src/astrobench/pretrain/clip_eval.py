"""Validation of an alignment run: aligned embeddings of the validation pairs and their
cross-modal retrieval (recall@k and median rank, both directions)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from astrobench.metrics.retrieval import cross_modal_recall
from astrobench.models.aligned.embed import embed_modalities
from astrobench.models.backbone import Backbone


def validation_retrieval(
    encoders: Mapping[str, Backbone], data: Path, indices: np.ndarray
) -> dict[str, float]:
    """Cross-modal retrieval of the validation pairs (empty when there are fewer than two)."""
    if indices.size < 2:
        return {}
    z = embed_modalities(encoders, data, indices)
    out = {}
    for query, target in (("image", "spectrum"), ("spectrum", "image")):
        recall = cross_modal_recall(z[query], z[target])
        out.update({f"{query}_to_{target}_{k}": v for k, v in recall.items()})
    out["n_pairs"] = float(indices.size)
    return out
