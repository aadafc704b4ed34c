"""Task heads on a backbone's pooled embedding, and their losses.

Classification: a linear layer to class logits, cross-entropy with optional class weights and
label smoothing. Regression (and photo-z): a linear layer to one value, trained on standardised
targets with MSE or Huber loss; `denormalise` maps outputs back to target units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from astrobench.errors import ConfigError
from astrobench.models.backbone import Backbone
from astrobench.models.input_preparation import prepare_inputs, select_channels


class BackboneWithHead(nn.Module):
    """images [B, C_file, H, W] (every band of the file) -> the recipe's channels -> preprocess
    -> backbone [B, D] -> head [B, K]."""

    def __init__(self, backbone: Backbone, head: nn.Module, recipe: dict[str, Any]) -> None:
        """`recipe`: the input preparation of `input_preparation` (as `embed_file` uses)."""
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.recipe = recipe

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """Select the fed bands, crop, stretch, normalise and resize as `embed_file` does."""
        return prepare_inputs(select_channels(images, self.recipe), self.recipe)  # [B, C, S, S]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone.forward_features(self.preprocess(images)))  # [B, K]


class ClassificationLoss:
    """Cross-entropy on logits with optional per-class weights and label smoothing."""

    def __init__(
        self, class_weights: Sequence[float] | None = None, label_smoothing: float = 0.0
    ) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.class_weights = None if class_weights is None else torch.tensor(list(class_weights))
        self.label_smoothing = float(label_smoothing)

    def __call__(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight = (
            None
            if self.class_weights is None
            else self.class_weights.to(logits.device, logits.dtype)
        )
        return nn.functional.cross_entropy(
            logits.float(), target.long(), weight=weight, label_smoothing=self.label_smoothing
        )


class RegressionLoss:
    """MSE or Huber on targets standardised per column ((y - mean) / std), [B] or [B, T]."""

    def __init__(
        self,
        kind: str = "mse",
        mean: float | Sequence[float] | np.ndarray = 0.0,
        std: float | Sequence[float] | np.ndarray = 1.0,
        delta: float = 1.0,
    ) -> None:
        if kind not in ("mse", "huber"):
            raise ConfigError(f"regression loss must be 'mse' or 'huber', got {kind!r}")
        self.loss_name, self.delta = kind, float(delta)
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))  # [T]
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))  # [T]

    def normalise(self, target: torch.Tensor) -> torch.Tensor:
        """[B] or [B, T] targets -> standardised [B, T]."""
        values = target.float().reshape(len(target), -1)
        mean = torch.as_tensor(self.mean, dtype=values.dtype, device=values.device)
        std = torch.as_tensor(self.std, dtype=values.dtype, device=values.device)
        return (values - mean) / std

    def denormalise(self, output: torch.Tensor) -> torch.Tensor:
        """Standardised [B, T] outputs -> target units."""
        values = output.float().reshape(len(output), -1)
        mean = torch.as_tensor(self.mean, dtype=values.dtype, device=values.device)
        std = torch.as_tensor(self.std, dtype=values.dtype, device=values.device)
        return values * std + mean

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        prediction = output.float().reshape(len(output), -1)  # [B, T]
        wanted = self.normalise(target)  # [B, T]
        if self.loss_name == "huber":
            return nn.functional.huber_loss(prediction, wanted, delta=self.delta)
        return nn.functional.mse_loss(prediction, wanted)


def build_head(num_features: int, n_outputs: int, dropout: float = 0.0) -> nn.Module:
    """A (dropout +) linear head; zero-initialised bias, small weights, as MAE fine-tuning does."""
    linear = nn.Linear(num_features, n_outputs)
    nn.init.trunc_normal_(linear.weight, std=2e-5 if n_outputs > 1 else 0.02)
    nn.init.zeros_(linear.bias)
    return nn.Sequential(nn.Dropout(dropout), linear) if dropout > 0 else linear


def balanced_class_weights(labels: Any, n_classes: int) -> list[float]:
    """Inverse-frequency weights n / (K * count), 0 for absent classes (seed 002's weighted CE)."""
    counts = torch.bincount(torch.as_tensor(labels, dtype=torch.long), minlength=n_classes).float()
    weights = torch.where(counts > 0, counts.sum() / (n_classes * counts.clamp(min=1)), 0.0)
    return [float(w) for w in weights]
