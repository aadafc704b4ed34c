"""Wall time of the whole frozen ladder on cached embeddings (issue 4 acceptance: <= 60 s).

Builds random-but-structured 20,000 x 384 embeddings (10 class-dependent Gaussian clusters in a
random 32-dimensional subspace, plus isotropic noise; a redshift that depends on a random
direction and on the class), then runs 4 protocols x 5 label fractions x 3 seeds through
`run_ladder`, the code path of `astrobench probe` after the embeddings are loaded.

    .venv/bin/python benchmarks/bench_probe.py [--n 20000] [--dim 384] [--target both]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from astrobench.tasks.task import TaskSpec

from astrobench.protocols.frozen import FrozenInputs, inputs_from_arrays
from astrobench.protocols.ladder import ladder_cells, run_ladder, summarise

PROTOCOLS = ("knn", "linear", "mlp", "whitening")
FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)
SEEDS = (0, 1, 2)


def structured_embeddings(n: int, dim: int, n_classes: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Features [n, dim] with class structure, labels [n], redshifts [n]."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    basis = np.linalg.qr(rng.normal(size=(dim, 32)))[0]  # [dim, 32]
    centres = rng.normal(0, 0.3, (n_classes, 32))
    latent = centres[labels] + rng.normal(0, 1.0, (n, 32))  # [n, 32]
    features = latent @ basis.T + rng.normal(0, 0.5, (n, dim))
    redshift = 0.2 + 0.05 * latent[:, 0] + 0.02 * labels / n_classes + rng.normal(0, 0.02, n)
    return {
        "features": features.astype(np.float32),
        "label": labels,
        "redshift": np.clip(redshift, 0.001, None),
    }


def time_ladder(inputs: FrozenInputs) -> float:
    cells = ladder_cells(PROTOCOLS, FRACTIONS, SEEDS)
    start = time.perf_counter()
    results = run_ladder(inputs, cells)
    seconds = time.perf_counter() - start
    headline = inputs.task.headline_metric
    per_protocol: dict[str, float] = {}
    for result in results:
        per_protocol[result.protocol] = (
            per_protocol.get(result.protocol, 0.0) + result.train_seconds
        )
    for row in summarise(results):
        if row["fraction"] in (0.1, 1.0):
            summary = row["metrics"][headline]
            print(
                f"  {row['protocol']:>9} f={row['fraction']:<4g} {headline} {summary.mean_std(4)}"
            )
    print(
        "  head-fit seconds per protocol: "
        + ", ".join(f"{k} {v:.1f}" for k, v in per_protocol.items())
    )
    print(f"  {len(cells)} cells, wall time {seconds:.1f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--target", choices=("label", "redshift", "both"), default="both")
    args = parser.parse_args()
    data = structured_embeddings(args.n, args.dim, n_classes=10)
    print(
        f"embeddings {args.n} x {args.dim}; torch threads {torch.get_num_threads()}; "
        f"cpus {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}"
    )
    tasks = {
        "label": TaskSpec("label", "classification", "accuracy", True, 10),
        "redshift": TaskSpec("redshift", "photoz", "sigma_nmad", False),
    }
    for name, task in tasks.items():
        if args.target in (name, "both"):
            print(f"target {name}:")
            time_ladder(inputs_from_arrays(data["features"], data[name], task))


if __name__ == "__main__":
    main()
