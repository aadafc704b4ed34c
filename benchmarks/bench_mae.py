"""Training throughput of our MAE vs a plain full-patch encoder vs transformers' ViTMAE.

Three training steps (forward, backward, AdamW step) on the same random batch, timed in
alternating rounds in one process so that machine load hits all three alike:

  ours      astrobench.pretrain.mae.MaskedAutoencoder (encoder sees 1 - mask_ratio of patches)
  plain     the same ViT encoder over ALL patches, loss = mean of its pooled output
  hf        transformers' ViTMAEForPreTraining with identical widths, depths, patch, mask
            ratio, decoder and batch

Model FLOP utilisation (MFU) = achieved FLOP/s / matmul FLOP/s, where a step's FLOPs are counted
by torch's FlopCounterMode and the matmul rate is measured here (fp32 on a CPU, bf16 on a GPU).

    .venv/bin/python benchmarks/bench_mae.py --arch vit_tiny --patch 8 --img 32 --batch 64
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from astrobench.models.vit import build_vit, vit_size
from astrobench.pretrain.mae import MaeConfig, MaskedAutoencoder

Step = Callable[[], None]


def matmul_flops_per_second(
    device: torch.device, dtype: torch.dtype, size: int, repeats: int
) -> float:
    """Measured dense matmul rate: 2 n^3 FLOPs per product."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(4):  # the best of a few trials: the least disturbed by other load
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[None]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_step(model: nn.Module, loss_of: Callable[[], torch.Tensor], device: torch.device) -> Step:
    """One optimizer step of `model` with loss `loss_of()`."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)

    def step() -> None:
        with _autocast(device):
            loss = loss_of()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def hf_vitmae(args: argparse.Namespace, decoder_width: int) -> nn.Module:
    """transformers' ViTMAEForPreTraining with our widths, depths, patch, mask ratio, decoder."""
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    size = vit_size(args.arch)
    config = ViTMAEConfig(
        hidden_size=size.embed_dim,
        num_hidden_layers=size.depth,
        num_attention_heads=size.num_heads,
        intermediate_size=int(size.embed_dim * size.mlp_ratio),
        image_size=args.img,
        patch_size=args.patch,
        num_channels=args.bands,
        decoder_hidden_size=decoder_width,
        decoder_num_hidden_layers=args.decoder_depth,
        decoder_num_attention_heads=max(1, decoder_width // 32),
        decoder_intermediate_size=4 * decoder_width,
        mask_ratio=args.mask_ratio,
    )
    config._attn_implementation = "sdpa"  # the same fused attention kernel timm uses
    return ViTMAEForPreTraining(config)


def build_steps(
    args: argparse.Namespace, device: torch.device
) -> dict[str, tuple[nn.Module, Step]]:
    """The three contenders, on the same batch."""
    width = args.decoder_width or vit_size(args.arch).embed_dim
    images = torch.randn(args.batch, args.bands, args.img, args.img, device=device)
    mae_config = MaeConfig(
        arch=args.arch,
        patch_size=args.patch,
        img_size=args.img,
        in_chans=args.bands,
        mask_ratio=args.mask_ratio,
        decoder_depth=args.decoder_depth,
        decoder_width=width,
    )
    ours = MaskedAutoencoder(mae_config).to(device)
    plain = build_vit(
        args.arch, args.patch, args.img, args.bands, pooling="mean", class_token=False
    )
    plain = plain.to(device)
    hf = hf_vitmae(args, width).to(device)

    def plain_loss() -> torch.Tensor:
        return plain.forward_head(plain.forward_features(images), pre_logits=True).mean()

    return {
        "ours": (ours, make_step(ours, lambda: ours(images)[0], device)),
        "plain": (plain, make_step(plain, plain_loss, device)),
        "hf": (hf, make_step(hf, lambda: hf(pixel_values=images).loss, device)),
    }


def count_flops(step: Step) -> float:
    """FLOPs of one training step (forward + backward), by torch's counter."""
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return float(counter.get_total_flops())


def time_rounds(
    steps: dict[str, Step], n_rounds: int, steps_per_round: int, device: torch.device
) -> dict[str, list[float]]:
    """Seconds per step of each contender, in rounds (order rotated each round)."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for round_index in range(n_rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            step = steps[name]
            _sync(device)
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            _sync(device)
            times[name].append((time.perf_counter() - start) / steps_per_round)
    return times


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arch", default="vit_tiny")
    parser.add_argument("--patch", type=int, default=8)
    parser.add_argument("--img", type=int, default=32)
    parser.add_argument("--bands", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--mask-ratio", type=float, default=0.75)
    parser.add_argument("--decoder-depth", type=int, default=1)
    parser.add_argument("--decoder-width", type=int, default=0, help="0: the encoder width")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="steps per round")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads; 0: torch's default")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    contenders = build_steps(args, device)
    steps = {name: step for name, (_, step) in contenders.items()}
    for step in steps.values():
        step()  # warm-up
    flops = {name: count_flops(step) for name, step in steps.items()}
    on_gpu = device.type == "cuda"
    peak_dtype = torch.bfloat16 if on_gpu else torch.float32
    peak = matmul_flops_per_second(
        device, peak_dtype, 4096 if on_gpu else 1024, 20 if on_gpu else 10
    )
    times = time_rounds(steps, args.rounds, args.steps, device)
    width = args.decoder_width or vit_size(args.arch).embed_dim
    print(
        f"device {device}, threads {torch.get_num_threads()}, {args.arch} patch {args.patch}, "
        f"{args.img}px x {args.bands} bands, batch {args.batch}, mask {args.mask_ratio}, "
        f"decoder {args.decoder_depth} x {width}"
    )
    print(f"measured {str(peak_dtype).replace('torch.', '')} matmul: {peak / 1e9:.1f} GFLOP/s")
    rates = {}
    for name, (model, _) in contenders.items():
        seconds = statistics.median(times[name])
        rates[name] = args.batch / seconds
        n_params = sum(p.numel() for p in model.parameters()) / 1e6
        print(
            f"{name:>6}: {rates[name]:8.1f} images/s  {seconds * 1e3:7.1f} ms/step  "
            f"{flops[name] / 1e9:6.2f} GFLOP/step  MFU {flops[name] / seconds / peak:6.1%}  "
            f"{n_params:.2f}M params"
        )
    print(f"ours / plain full-patch encoder: {rates['ours'] / rates['plain']:.2f}x (target >= 2)")
    print(f"ours / transformers ViTMAE:      {rates['ours'] / rates['hf']:.2f}x (target >= 1)")


if __name__ == "__main__":
    main()
