"""Wall time of a flow ensemble on cached embeddings (issue 13 acceptance: 5 flows, <= 60 s).

Builds 20,000 x 384 structured embeddings (a 16-dimensional latent in a random subspace, plus
isotropic noise) and a 3-column target with a known heteroscedastic, correlated Gaussian
posterior given the latent; fits the ensemble on 16,000 training and 4,000 validation objects
(the timed part), then draws posterior samples for 2,000 held-out objects and prints their NLL,
TARP summary and interval coverage. The machine's load average is printed with the figures.

    .venv/bin/python benchmarks/bench_flow.py [--n 20000] [--dim 384] [--members 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np
import torch

from astrobench.metrics import calibration
from astrobench.protocols.flow_fit import FlowSettings, fit_flow_ensemble


def structured_problem(n: int, dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Features [n, dim] and targets [n, 3] drawn from a known Gaussian given the latent."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 16))  # [n, 16]
    basis = np.linalg.qr(rng.normal(size=(dim, 16)))[0]  # [dim, 16]
    features = latent @ basis.T * 3.0 + rng.normal(0, 0.5, (n, dim))
    mean = np.stack(
        [0.5 + 0.15 * latent[:, 0], 10 + 0.5 * latent[:, 1], -10 + 0.4 * np.tanh(latent[:, 2])], 1
    )
    scale = np.stack(
        [0.02 + 0.02 * (latent[:, 3] > 0), 0.1 + 0.05 * latent[:, 4] ** 2, 0.2 + 0 * latent[:, 0]],
        1,
    )
    noise = rng.normal(size=(n, 3))
    noise[:, 2] = 0.6 * noise[:, 1] + 0.8 * noise[:, 2]  # correlated columns
    return {"features": features.astype(np.float32), "targets": mean + scale * noise}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--test", type=int, default=2_000)
    parser.add_argument("--patience", type=int, default=FlowSettings().patience)
    parser.add_argument("--batch-size", type=int, default=FlowSettings().batch_size)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = structured_problem(args.n + args.test, args.dim)
    x, y = data["features"], data["targets"]
    n_train = int(0.8 * args.n)
    print(
        f"embeddings {args.n} x {args.dim}, target 3 columns; {args.members} flows; "
        f"torch threads {torch.get_num_threads()}; cpus {os.cpu_count()}; "
        f"load average before {os.getloadavg()[0]:.1f}"
    )
    settings = FlowSettings(
        members=args.members, patience=args.patience, batch_size=args.batch_size
    )
    tracemalloc.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    ensemble = fit_flow_ensemble(
        x[:n_train], y[:n_train], x[n_train : args.n], y[n_train : args.n], settings, seed=0
    )
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for report in ensemble.reports:
        print(
            f"  member {report.architecture}: {report.epochs_run} epochs (best {report.best_epoch})"
        )
    print(
        f"  fit wall time {seconds:.1f} s, process CPU time {cpu_seconds:.1f} s; "
        f"load average after {os.getloadavg()[0]:.1f}"
    )
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  peak memory: {rss_mib:.0f} MiB resident (ru_maxrss), "
        f"{traced_peak / 2**20:.0f} MiB traced by tracemalloc"
    )
    x_test, y_test = x[args.n :], y[args.n :]
    start = time.perf_counter()
    samples = ensemble.sample(x_test, settings.samples, seed=0)
    log_density = calibration.mixture_log_density(ensemble.member_log_density(x_test, y_test))
    print(
        f"  {settings.samples} samples for {len(x_test)} test objects + densities: "
        f"{time.perf_counter() - start:.1f} s"
    )
    metrics = calibration.posterior_metrics(samples, y_test, ("a", "b", "c"), log_density)
    print("  test " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    print(f"  verdict: {calibration.calibration_verdict(samples, y_test)}")


if __name__ == "__main__":
    main()
