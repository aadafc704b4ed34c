"""A tiny model, dataset and run used by the training-runtime tests (also run as a script:
`python tests/train/train_tiny.py OUT_DIR [--resume] [--epochs N] ...`, so that tests can SIGKILL
it with ASTROBENCH_TEST_KILL_AT_STEP and resume it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from astrobench.train import TrainConfig, Trainer
from astrobench.train.distributed import wait_for_all_ranks


class TinyImages(Dataset[dict[str, Any]]):
    """n 2x8x8 images with a class label; a random flip and noise exercise worker RNG."""

    def __init__(self, n: int = 40, nan_at: int | None = None) -> None:
        generator = torch.Generator().manual_seed(123)
        self.labels = torch.arange(n) % 3
        self.images = torch.randn(n, 2, 8, 8, generator=generator)
        self.images[:, :, 2:6, 2:6] += self.labels[:, None, None, None].float()
        if nan_at is not None:
            self.images[nan_at, 0, 0, 0] = float("nan")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        image = self.images[i]
        if torch.rand(()) < 0.5:
            image = image.flip(-1)
        image = image + 0.05 * torch.randn_like(image)
        return {"image": image, "label": self.labels[i], "index": i}


class TinyNet(nn.Module):
    """Conv + dropout + linear: dropout makes the result depend on the torch RNG."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 8, 3, padding=1)
        self.norm = nn.LayerNorm(8)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.conv(x).relu().mean(dim=(2, 3))  # [B, 8]
        return self.head(self.drop(self.norm(features)))  # [B, 3]


def classification_loss(model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
    return nn.functional.cross_entropy(model(batch["image"]), batch["label"])


def run(out: Path, resume: bool = False, n: int = 40, nan_at: int | None = None, **overrides: Any):
    torch.manual_seed(0)
    model = TinyNet()
    settings: dict[str, Any] = {
        "epochs": 2,
        "batch_size": 8,
        "lr": 1e-2,
        "warmup_epochs": 0.5,
        "device": "cpu",
        "checkpoint_every_steps": 1,
        **overrides,
    }
    trainer = Trainer(
        model, classification_loss, TinyImages(n, nan_at), TrainConfig(**settings), out
    )
    history = trainer.fit(resume=resume)
    return trainer, history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--config", default="{}", help="TrainConfig overrides as JSON")
    args = parser.parse_args()
    trainer, _ = run(args.out, resume=args.resume, **json.loads(args.config))
    if trainer.context.enabled:  # under torchrun every rank saves its replica
        torch.save(trainer.model.state_dict(), args.out / f"final-rank{trainer.context.rank}.pt")
        # per-rank work after fit: leave together, or the first rank out tears the group down
        wait_for_all_ranks(trainer.context)
    elif trainer.is_main:
        torch.save(trainer.model.state_dict(), args.out / "final.pt")


if __name__ == "__main__":
    sys.exit(main())
