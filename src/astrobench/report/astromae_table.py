"""Seed 001 Table IV from a results folder: our fourteen architectures beside the paper's numbers,
with every metric recomputed from the stored test predictions, and the Figs 9-11 density grid.

The paper's numbers (seed 001 Table IV: SDSS DR12, 46,000 fine-tuning objects, 700 epochs) are
quoted so the two tables can be read side by side; they are not comparable in value, only in
ordering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astrobench.metrics.photoz import photoz_metrics
from astrobench.models.hybrid.variants import HYBRID_VARIANTS, SUPERVISED, table_iv_variants
from astrobench.report.photoz_density import DensityPanel

TABLE_IV_METRICS = ("mse", "mae", "bias", "precision", "r2")
EXTRA_METRICS = ("sigma_nmad", "outlier_fraction_0.15")
# Seed 001 Table IV as printed: MSE, MAE, bias, precision, R².
SEED_001_TABLE_IV: dict[str, tuple[float, float, float, float, float]] = {
    "scratch-plain-vit-magnitude": (0.00077, 0.01871, 0.00153, 0.01736, 0.93580),
    "scratch-pcm-vit-magnitude": (0.00057, 0.01604, -0.00035, 0.01458, 0.95204),
    "henghes": (0.00058, 0.01568, 0.00108, 0.01443, 0.95176),
    "scratch-plain-vit": (0.00097, 0.02123, 0.00049, 0.01957, 0.91871),
    "scratch-pcm-vit": (0.00063, 0.01686, -0.00122, 0.01554, 0.94764),
    "inception": (0.00064, 0.01705, 0.00132, 0.01593, 0.94625),
    "plain-vit-magnitude": (0.00068, 0.01740, -0.00007, 0.01596, 0.94334),
    "pcm-vit-magnitude": (0.00060, 0.01655, -0.00095, 0.01522, 0.94939),
    "plain-astromae": (0.00056, 0.01558, 0.00097, 0.01429, 0.95336),
    "pcm-astromae": (0.00053, 0.01520, -0.00037, 0.01391, 0.95601),
    "plain-vit": (0.00086, 0.01970, -0.00060, 0.01775, 0.92790),
    "pcm-vit": (0.00084, 0.01945, -0.00114, 0.01737, 0.92950),
    "plain-vit-inception": (0.00059, 0.01622, -0.00009, 0.01496, 0.95029),
    "pcm-vit-inception": (0.00059, 0.01601, 0.00042, 0.01458, 0.95095),
}


@dataclass(frozen=True)
class VariantResult:
    """One variant's stored test predictions and the metrics recomputed from them."""

    variant: str
    z_true: np.ndarray
    z_pred: np.ndarray
    stored: dict[str, float]

    @property
    def metrics(self) -> dict[str, float]:
        return photoz_metrics(self.z_true, self.z_pred)


def load_variant_results(results_dir: str | Path, seed: int = 0) -> list[VariantResult]:
    """The `hybrid-<variant>` rows of a results folder (one seed, fraction 1), in Table IV order."""
    from astrobench.bench.store import ResultsStore

    store = ResultsStore(results_dir)
    found: dict[str, VariantResult] = {}
    for row in store.rows():
        name = row.protocol.removeprefix("hybrid-")
        if name == row.protocol or name not in HYBRID_VARIANTS or row.seed != seed:
            continue
        arrays = np.load(store.predictions_file(row))
        found[name] = VariantResult(name, arrays["y_true"], arrays["y_pred"], dict(row.metrics))
    order = [v.name for v in table_iv_variants()]
    return [found[n] for n in order if n in found]


def table_iv_markdown(results: Sequence[VariantResult]) -> str:
    """Our metrics (recomputed from predictions) and the paper's, one row per architecture."""
    head = "| type | architecture | " + " | ".join(TABLE_IV_METRICS + EXTRA_METRICS)
    head += " | paper MSE | paper R² |"
    lines = [head, "|---|---|" + "---|" * (len(TABLE_IV_METRICS) + len(EXTRA_METRICS) + 2)]
    for result in results:
        variant = HYBRID_VARIANTS.get(result.variant)
        ours = result.metrics
        paper = SEED_001_TABLE_IV.get(result.variant)
        kind = "from scratch" if variant.paper_group == SUPERVISED else "fine-tuning"
        cells = [f"{ours[m]:.5f}" for m in TABLE_IV_METRICS + EXTRA_METRICS]
        paper_cells = [f"{paper[0]:.5f}", f"{paper[4]:.5f}"] if paper else ["-", "-"]
        lines.append(f"| {kind} | {variant.paper_name} | " + " | ".join(cells + paper_cells) + " |")
    return "\n".join(lines)


def recomputation_gaps(results: Sequence[VariantResult]) -> dict[str, float]:
    """Largest |stored - recomputed| over the Table IV metrics, per variant (should be ~0)."""
    return {
        r.variant: max(abs(r.stored[m] - r.metrics[m]) for m in TABLE_IV_METRICS) for r in results
    }


def density_panels(results: Sequence[VariantResult]) -> list[DensityPanel]:
    """One Figs 9-11 panel per architecture."""
    return [
        DensityPanel(HYBRID_VARIANTS.get(r.variant).paper_name, r.z_true, r.z_pred) for r in results
    ]
