"""AstroCLIP throughput: alignment steps/s with cached frozen-tower tokens against recomputing
the (frozen) towers every step, and masked spectrum pretraining throughput.

A step is forward, backward and an AdamW update of the two cross-attention heads on one batch
of pairs. "cached" feeds the tower tokens computed once (what `pretrain clip` does with frozen
towers); "recompute" runs both towers (under no_grad) on the raw images and spectra every step.
Rounds alternate in one process so that machine load hits both alike; medians are printed.

    .venv/bin/python benchmarks/bench_clip.py --image vit_tiny_p8 --img 64 --spectrum-size tiny \
        --pixels 3101 --batch 64 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from astrobench.models.aligned.head import CrossAttentionHead, HeadConfig
from astrobench.models.create import create_backbone
from astrobench.models.input_preparation import input_preparation
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig
from astrobench.pretrain.clip_model import ClipModel
from astrobench.pretrain.clip_towers import Towers, freeze
from astrobench.pretrain.specformer_model import MaskedSpectrumModel

BANDS = ["g", "r", "z"]


def _towers(args: argparse.Namespace) -> Towers:
    image = create_backbone(args.image, bands=BANDS, img_size=args.img)
    config = SpecFormerConfig(args.pixels, 3600.0, 9800.0, size=args.spectrum_size)
    spectrum = SpecFormer(config)
    freeze(image)
    freeze(spectrum)
    recipe = input_preparation(image.meta.to_dict(), [0, 1, 2], BANDS, args.img, "error")
    return Towers(image, spectrum, args.image, "specformer", [0, 1, 2], BANDS, recipe)


def _step(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> Callable[[], None]:
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)

    def run() -> None:
        optimizer.zero_grad(set_to_none=True)
        model(batch).backward()
        optimizer.step()

    return run


def _time(step: Callable[[], None], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def alignment(args: argparse.Namespace) -> None:
    towers = _towers(args)
    images = torch.randn(args.batch, 3, args.img, args.img)
    flux = torch.randn(args.batch, args.pixels) * 2 + 5
    with torch.no_grad():
        tokens = {
            "image_tokens": towers.image_tokens(images),
            "spectrum_tokens": towers.spectrum_tokens(flux),
        }
    torch.manual_seed(0)
    heads = (
        CrossAttentionHead(
            HeadConfig(towers.image.num_features, args.embed, mlp_ratio=args.mlp_ratio)
        ),
        CrossAttentionHead(
            HeadConfig(
                towers.spectrum.num_features, args.embed, residual=True, mlp_ratio=args.mlp_ratio
            )
        ),
    )
    cached = _step(ClipModel(*heads), tokens)
    recompute = _step(ClipModel(*heads, towers=towers), {"image": images, "spectrum": flux})
    times: dict[str, list[float]] = {"cached": [], "recompute": []}
    cached(), recompute()  # warm-up
    for _ in range(args.rounds):
        times["cached"].append(_time(cached, args.repeats))
        times["recompute"].append(_time(recompute, 1))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"alignment, batch {args.batch}: image tower {args.image} ({args.img}px, "
        f"{tokens['image_tokens'].shape[1]} tokens), spectrum tower specformer_{args.spectrum_size}"
        f" ({args.pixels} px, {tokens['spectrum_tokens'].shape[1]} tokens), heads {args.embed}"
        f" (MLP ratio {args.mlp_ratio})"
    )
    for name, seconds in median.items():
        print(f"  {name:<10} {1 / seconds:8.2f} steps/s  {args.batch / seconds:9.1f} pairs/s")
    print(f"  cached / recompute speed-up: {median['recompute'] / median['cached']:.1f}x")


def spectrum_pretraining(args: argparse.Namespace) -> None:
    torch.manual_seed(0)
    config = SpecFormerConfig(args.pixels, 3600.0, 9800.0, size=args.spectrum_size)
    model = MaskedSpectrumModel(SpecFormer(config)).train()
    flux = torch.randn(args.batch, args.pixels) * 2 + 5
    ivar = torch.rand(args.batch, args.pixels) + 0.5
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        model(flux, ivar).backward()
        optimizer.step()

    step()
    seconds = statistics.median(_time(step, 1) for _ in range(args.rounds))
    print(
        f"spectrum pretraining (specformer_{args.spectrum_size}, {args.pixels} px, "
        f"{config.windowing.n_tokens} tokens, batch {args.batch}): "
        f"{args.batch / seconds:.1f} spectra/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="vit_tiny_p8")
    parser.add_argument("--img", type=int, default=64)
    parser.add_argument("--spectrum-size", default="tiny")
    parser.add_argument("--pixels", type=int, default=3101)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--embed", type=int, default=512)
    parser.add_argument("--mlp-ratio", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads")
    alignment(args)
    spectrum_pretraining(args)


if __name__ == "__main__":
    main()
