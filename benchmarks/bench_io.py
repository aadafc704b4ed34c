"""Random-access read speed and memory of the cutout file.

Writes 5,000- and 20,000-object files of 5x64x64 float32 cutouts (or reuses them from --dir),
then reads 2,000 random cutouts from each, one `read_images` call per cutout as a Dataset does,
and prints the seconds taken and the peak resident-memory growth. Target: < 1 s for 2,000
reads, and memory growth that does not depend on the file size.

    python benchmarks/bench_io.py [--dir DIR] [--n-read 2000] [--sizes 5000,20000]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.cutout_writer import CutoutWriter

BANDS = list("ugriz")
SIZE = 64
WRITE_BLOCK = 500


def write_file(path: Path, n_objects: int, seed: int = 0) -> float:
    """Write `n_objects` random cutouts to `path`; return the seconds taken."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    with CutoutWriter(
        path, bands=BANDS, image_size=(SIZE, SIZE), pixel_scale_arcsec=0.262, survey="bench"
    ) as writer:
        for first in range(0, n_objects, WRITE_BLOCK):
            n = min(WRITE_BLOCK, n_objects - first)
            images = rng.normal(0, 1, (n, len(BANDS), SIZE, SIZE)).astype(np.float32)
            writer.append(images, {"object_id": np.arange(first, first + n)})
    return time.perf_counter() - start


class PeakRss:
    """Sample this process's resident memory in a thread; `.growth_mib` is peak minus start."""

    def __init__(self, interval_s: float = 0.002) -> None:
        self._process = psutil.Process()
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.start_rss = self.peak_rss = self._process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)
            time.sleep(self._interval_s)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)

    @property
    def growth_mib(self) -> float:
        return (self.peak_rss - self.start_rss) / 2**20


def read_random(path: Path, n_read: int, seed: int = 1) -> tuple[float, float, float]:
    """Wall seconds and CPU seconds to read `n_read` random cutouts one by one, and peak RSS
    growth (MiB). CPU seconds show the cost apart from other processes on a busy machine."""
    with CutoutFile(path) as cutouts:
        order = np.random.default_rng(seed).integers(0, len(cutouts), n_read)
        with PeakRss() as rss:
            start, start_cpu = time.perf_counter(), time.process_time()
            for index in order:
                cutouts.read_image(int(index))
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - start_cpu
    return seconds, cpu_seconds, rss.growth_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="reuse/keep files in this folder")
    parser.add_argument("--n-read", type=int, default=2000)
    parser.add_argument("--sizes", default="5000,20000", help="object counts of the files")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n_objects in sizes:
            path = folder / f"bench_{n_objects}_{len(BANDS)}x{SIZE}x{SIZE}.h5"
            if not path.exists():
                seconds = write_file(path, n_objects)
                mib = path.stat().st_size / 2**20
                print(f"wrote {n_objects} objects ({mib:.0f} MiB) in {seconds:.2f} s")
            seconds, cpu_seconds, growth_mib = read_random(path, args.n_read)
            verdict = "OK" if seconds < 1.0 else "SLOWER than the 1 s target"
            print(
                f"{n_objects:>6}-object file: {args.n_read} random reads in {seconds:.3f} s "
                f"(CPU {cpu_seconds:.3f} s; {verdict}); peak RSS growth {growth_mib:.1f} MiB"
            )


if __name__ == "__main__":
    main()
