"""Time and peak memory of refusing hostile files: a ~150 KB HDF5 declaring 10⁹ images.

Prints, for data info, data validate, embed and data get --from, the exit code, wall seconds
and peak RSS of a fresh `python -m astrobench` process. Asserts nothing.
Run: .venv/bin/python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

N_DECLARED = 10**9


def cutout_bomb(path: Path) -> None:
    """A structurally valid cutout file whose images and catalog declare N_DECLARED rows."""
    with h5py.File(path, "w") as h5:
        images = h5.create_dataset(
            "images", shape=(N_DECLARED, 3, 16, 16), chunks=(1, 3, 16, 16), dtype="f4"
        )
        images[:3] = 1.0
        catalog = h5.create_group("catalog")
        catalog.create_dataset("label", shape=(N_DECLARED,), chunks=(8192,), dtype="i8")[:3] = 0
        catalog.attrs["label_names"] = json.dumps(["a", "b", "c"])
        h5.attrs.update(
            {"survey": "x", "bands": ["g", "r", "z"], "pixel_scale_arcsec": 0.262,
             "image_unit": "x", "source": "x", "license": "x", "created_by": "x",
             "format_version": 1, "astrobench_format": "cutouts"}
        )  # fmt: skip


def galaxy10_bomb(path: Path) -> None:
    """The Galaxy10 DECaLS layout declaring N_DECLARED 64 px colour images."""
    with h5py.File(path, "w") as h5:
        h5.create_dataset("images", shape=(N_DECLARED, 64, 64, 3), chunks=(1, 64, 64, 3),
                          dtype=np.uint8)[:2] = 7  # fmt: skip
        h5.create_dataset("ans", shape=(N_DECLARED,), chunks=(4096,), dtype=np.uint8)[:2] = 1


# The child reports its own peak RSS (VmHWM) at exit; getrusage's ru_maxrss of a child also
# counts the forked parent's memory before exec.
_CHILD = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(kb)
atexit.register(_peak)
from astrobench.cli import main
main(sys.argv[1:])
"""


def run(argv: list[str], cwd: Path) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS in MB) of `astrobench ARGV` in a fresh process."""
    peak = cwd / "peak_kb.txt"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv],
        cwd=cwd,
        env={**os.environ, "PEAK_FILE": str(peak)},
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    return done.returncode, seconds, float(peak.read_text()) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        cutout_bomb(cwd / "bomb.h5")
        galaxy10_bomb(cwd / "g10.h5")
        print(f"bomb.h5: {(cwd / 'bomb.h5').stat().st_size / 1024:.0f} KB declaring "
              f"{N_DECLARED:,} images")  # fmt: skip
        for argv in (
            ["data", "info", "bomb.h5"],
            ["data", "validate", "bomb.h5"],
            ["embed", "--backbone", "vit_tiny_p8", "--data", "bomb.h5"],
            ["data", "get", "galaxy10-decals", "--from", "g10.h5", "--no-verify", "--root", "d"],
        ):
            code, seconds, rss = run(argv, cwd)
            print(f"{' '.join(argv[:2]):<14} exit {code}  {seconds:5.2f} s  peak RSS {rss:5.0f} MB")


if __name__ == "__main__":
    main()
