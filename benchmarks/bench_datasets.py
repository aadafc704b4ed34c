"""Throughput of the dataset pipeline: verified download, Galaxy10-layout conversion, HDF cutouts.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_datasets.py [N_OBJECTS]
Everything is local (a loopback HTTP server and generated data): no network is used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from astrobench.data.datasets.galaxy10_decals import Galaxy10Decals
from astrobench.data.download import download_file
from astrobench.data.hubble_deep_field import make_hdf_cutouts


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _galaxy10_like(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as h5:
        h5.create_dataset("images", data=rng.integers(0, 256, (n, 256, 256, 3), dtype=np.uint8))
        h5.create_dataset("ans", data=rng.integers(0, 10, n).astype(np.uint8))
        for key in ("ra", "dec", "redshift", "pxscale"):
            h5.create_dataset(key, data=rng.uniform(0, 1, n))


def main(n_objects: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = folder / "Galaxy10_DECals.h5"
        _galaxy10_like(raw, n_objects)
        size_mb = raw.stat().st_size / 1e6
        digest = hashlib.sha256(raw.read_bytes()).hexdigest()
        with _serve(folder) as url:
            start = time.perf_counter()
            download_file(
                f"{url}/{raw.name}",
                folder / "dl" / raw.name,
                checksum_kind="sha256",
                checksum=digest,
                progress=False,
            )
            seconds = time.perf_counter() - start
        print(
            f"download + sha256 over loopback: {size_mb:.0f} MB in {seconds:.2f} s "
            f"= {size_mb / seconds:.0f} MB/s"
        )
        start = time.perf_counter()
        Galaxy10Decals(progress=False).convert({raw.name: raw}, folder / "out.h5")
        seconds = time.perf_counter() - start
        print(
            f"galaxy10-decals conversion: {n_objects} objects of 3x256x256 in {seconds:.2f} s "
            f"= {n_objects / seconds:.0f} objects/s"
        )
        start = time.perf_counter()
        make_hdf_cutouts(folder / "hdf.h5")
        print(f"hdf pipeline (detect + 32 px cutouts + write): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
