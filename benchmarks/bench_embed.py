"""Embedding overhead: bare model forward vs `embed_file` on the same batches, and the cache hit.

    .venv/bin/python benchmarks/bench_embed.py [--n 2048] [--size 32] [--backbone vit_tiny_p8]

Each measurement is repeated (--repeats, alternating) and the best kept.
Prints the bare forward seconds (preloaded, preprocessed batches, forward only), the seconds of
a cold `embed_file` (reading, preprocessing, forward, writing the cache; model build and file
hashing excluded by a warm-up on the same data; the one-off model build is timed and shown apart),
the overhead in % on the batches, and the cached call.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astrobench.data.cutout_writer import write_cutouts
from astrobench.models.create import create_backbone, natural_img_size
from astrobench.models.embeddings import embed_file
from astrobench.models.input_preparation import prepare_inputs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--backbone", default="vit_tiny_p8")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_embed_"))
    data = folder / "cutouts.h5"
    rng = np.random.default_rng(0)
    images = rng.normal(0, 1, (args.n, 5, args.size, args.size)).astype(np.float32)
    write_cutouts(data, images, {"label": np.arange(args.n) % 3}, bands=list("ugriz"),
                  pixel_scale_arcsec=0.4, label_names=["a", "b", "c"], survey="bench")  # fmt: skip

    cache = folder / "cache"
    # warm-up: imports, model build, weights hash and file hash memos (not the measured part)
    embed_file(args.backbone, data, cache_dir=cache, batch_size=args.batch_size)
    backbone = create_backbone(args.backbone, bands=list("ugriz"),
                               img_size=natural_img_size(args.backbone, args.size))  # fmt: skip
    colds, bares = [], []
    for _ in range(args.repeats):  # alternate the two, keep the best of each (as timeit does)
        shutil.rmtree(cache / "embeddings")  # keep the memos, drop the embeddings
        colds.append(embed_file(args.backbone, data, cache_dir=cache, batch_size=args.batch_size))
        bares.append(bare_forward(backbone, images, colds[-1].meta["preprocessing"], args))
    warm = embed_file(args.backbone, data, cache_dir=cache, batch_size=args.batch_size)
    cold = min(colds, key=lambda c: c.seconds - c.meta["build_seconds"])
    bare = min(bares)
    shape = f"{args.n} x 5 x {args.size} x {args.size}"
    print(
        f"backbone {args.backbone}, {shape}, batch {args.batch_size}, "
        f"threads {torch.get_num_threads()}"
    )
    print(f"bare forward          {bare:8.2f} s")
    print(
        f"embed_file (cold)     {cold.seconds:8.2f} s   "
        f"(forward inside: {cold.meta['forward_seconds']:.2f} s)"
    )
    build = cold.meta["build_seconds"]
    per_batch = cold.seconds - build
    print(f"  of which model build  {build:8.2f} s   (one-off, independent of the data size)")
    print(
        f"overhead on the batches {100 * (per_batch - bare) / bare:6.1f} %   (target <= 10 %; "
        f"including the build: {100 * (cold.seconds - bare) / bare:.1f} %)"
    )
    print(f"embed_file (cached)   {warm.seconds:8.3f} s   from_cache={warm.from_cache}")


def bare_forward(backbone: Any, images: np.ndarray, prep: dict[str, Any], args: Any) -> float:
    """Seconds of the model's forward alone over the same, already prepared batches."""
    batches = [prepare_inputs(torch.from_numpy(images[i : i + args.batch_size]), prep)
               for i in range(0, args.n, args.batch_size)]  # fmt: skip
    with torch.inference_mode():
        start = time.perf_counter()
        for x in batches:
            backbone.forward_features(x)
        return time.perf_counter() - start


if __name__ == "__main__":
    main()
