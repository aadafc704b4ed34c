"""Galaxies per second of `synthesize` (sdss preset, with spectra) for 1 and 2 workers.

Usage: .venv/bin/python benchmarks/bench_synth.py [--n 1000] [--preset sdss] [--workers 1,2]
Figures are wall-clock on whatever else the machine is doing: report them as measured-under-load.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    from astrobench.data.synth import synthesize
    from astrobench.data.synth.seds import sed_library

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--preset", default="sdss")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-spectra", action="store_true")
    args = parser.parse_args()
    sed_library()  # one-off tabulation (~1-5 s), not part of the per-galaxy rate
    print(
        f"preset={args.preset} n={args.n} spectra={not args.no_spectra} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            start, cpu, child = time.perf_counter(), time.process_time(), _children_cpu()
            synthesize(
                args.preset,
                args.n,
                0,
                Path(tmp) / "b.h5",
                workers=workers,
                spectra=not args.no_spectra,
                progress=False,
            )
            wall = time.perf_counter() - start
            cpu_s = time.process_time() - cpu + _children_cpu() - child
            size_mb = (Path(tmp) / "b.h5").stat().st_size / 1e6
        print(
            f"workers={workers}: {args.n / wall:7.1f} galaxies/s wall ({wall:.1f} s), "
            f"{args.n / cpu_s:6.1f} galaxies per CPU-second, file {size_mb:.1f} MB"
        )


if __name__ == "__main__":
    main()
