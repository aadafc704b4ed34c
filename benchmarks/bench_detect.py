"""Training and inference images/s of the detectors (ResNet-FPN and ViT + simple pyramid).

Usage: .venv/bin/python benchmarks/bench_detect.py [--size 128] [--batch-size 8] [--steps 5]
       [--backbones "timm:resnet18?pretrained=false,vit_small_p8"] [--device cpu]

Images are 3-band (g, r, z) fields of `--size` px with 2-6 random boxes each; weights are
random (speed does not depend on them). A training step is forward + backward + AdamW step of
the fine-tuned detector; inference runs in eval mode under inference_mode with every detection
kept (score threshold 0, 100 per image: the most work the box head can do). The first step of
each is a warm-up and not timed. Figures are wall-clock on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import time

import torch


def _batch(n: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, list]:
    images = torch.randn(n, 3, size, size, generator=generator)  # [B, 3, S, S]
    targets = []
    for _ in range(n):
        k = int(torch.randint(2, 7, (1,), generator=generator))
        xy = torch.rand(k, 2, generator=generator) * (size - 24)
        wh = 6 + torch.rand(k, 2, generator=generator) * 18
        targets.append(
            {"boxes": torch.cat([xy, xy + wh], 1), "labels": torch.zeros(k, dtype=torch.long)}
        )
    return images, targets


def bench(spec: str, args: argparse.Namespace) -> None:
    from astrobench.protocols.detect import DetectSettings, build_detector

    device = torch.device(args.device)
    settings = DetectSettings(score_threshold=0.0)
    model = build_detector(spec, ["g", "r", "z"], args.size, 2, "finetune", settings).to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    images, targets = _batch(args.batch_size, args.size, generator)
    images = images.to(device)
    targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
    model.train()
    times = []
    for _ in range(args.steps + 1):
        started = time.perf_counter()
        loss = sum(model(images, targets).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    train = args.batch_size * args.steps / sum(times[1:])
    model.eval()
    times = []
    with torch.inference_mode():
        for _ in range(args.steps + 1):
            started = time.perf_counter()
            model(images)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - started)
    infer = args.batch_size * args.steps / sum(times[1:])
    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(
        f"{spec:40s} neck {model.neck_name:15s} {params:6.1f} M params   "
        f"train {train:7.2f} img/s   inference {infer:7.2f} img/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backbones", default="timm:resnet18?pretrained=false,vit_small_p8")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(
        f"{args.size} px, 3 bands, batch {args.batch_size}, {args.steps} timed steps, "
        f"device {args.device}, threads {torch.get_num_threads()}"
    )
    for spec in args.backbones.split(","):
        bench(spec, args)


if __name__ == "__main__":
    main()
