"""Print seed 001 Table IV from a results folder of configs/astromae.yaml and write the Figs 9-11
density grid beside it.

    astrobench bench configs/astromae.yaml --out runs/astromae --workers 2
    python benchmarks/astromae_table.py runs/astromae
"""

from __future__ import annotations

import sys
from pathlib import Path

from astrobench.atomic import write_bytes_atomic
from astrobench.report.astromae_table import (
    density_panels,
    load_variant_results,
    recomputation_gaps,
    table_iv_markdown,
)
from astrobench.report.photoz_density import density_grid_png


def main(results_dir: str) -> None:
    results = load_variant_results(results_dir)
    if not results:
        sys.exit(f"no hybrid-<variant> results in {results_dir}")
    print(table_iv_markdown(results))
    gaps = recomputation_gaps(results)
    print(f"\nlargest |stored - recomputed| metric: {max(gaps.values()):.2e}")
    png = Path(results_dir) / "table_iv_density.png"
    write_bytes_atomic(png, density_grid_png(density_panels(results), "seed 001 Figs 9-11"))
    print(f"density grid: {png}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/astromae")
