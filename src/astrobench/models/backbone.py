"""The uniform encoder API every protocol uses (never isinstance on architectures).

An encoder has a modality (`image` here; spectrum and catalog encoders elsewhere) and maps its
input batch to pooled embeddings [B, D], to tokens [B, N, D], and to intermediate feature maps
(`forward_intermediates`: multi-scale features for detection, last-k blocks for probes). It knows
its own metadata, and names its parameters by depth so that layer-wise learning-rate decay and
"train the top k blocks" work the same way for a ViT, a ConvNeXt or a Hugging Face model.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class BackboneMeta:
    """What a backbone expects and where it came from."""

    spec: str  # the spec string it was built from, e.g. "timm:resnet18?pretrained=false"
    in_chans: int
    img_size: int
    num_features: int
    bands: list[str] | None = None  # band names the input channels mean, when known
    patch_size: int | None = None
    pooling: str = "mean"  # "cls" or "mean" (of tokens) or "avg" (CNN global average pool)
    mean: list[float] = field(default_factory=list)  # per input channel normalisation
    std: list[float] = field(default_factory=list)
    pretrained: bool = False
    source: str = ""  # hub id, file path, or "astrobench built-in"
    license: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Backbone(nn.Module):
    """Base class of every image encoder wrapper. Subclasses implement the abstract methods."""

    modality: str = "image"
    meta: BackboneMeta

    @property
    def num_features(self) -> int:
        return self.meta.num_features

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled embedding: x [B, C, H, W] -> [B, D]."""
        raise NotImplementedError

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Token / feature-map sequence [B, N, D] (ViTs: patch tokens; CNNs: flattened map)."""
        raise NotImplementedError(f"{type(self).__name__} does not expose tokens")

    def forward_intermediates(self, x: torch.Tensor, indices: list[int]) -> list[torch.Tensor]:
        """Outputs of blocks `indices` (negative counts from the last), each [B, D_i, h_i, w_i]."""
        raise NotImplementedError(f"{type(self).__name__} does not expose intermediate features")

    def depth_groups(self) -> list[list[str]]:
        """Parameter names grouped by depth: [stem/embedding, block 1, ..., block L, final norm].

        Group 0 is nearest the input. Layer-wise LR decay scales group i by decay**(L+1-i);
        `partial` with k blocks trains the last k block groups (plus the final norm) and the head.
        """
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)

    def weights_hash(self) -> str:
        """sha256 over parameter names, shapes and bytes: the identity of these exact weights."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.state_dict().items()):
            digest.update(name.encode())
            digest.update(str(tuple(tensor.shape)).encode())
            flat = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(flat.view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()

    def parameter_counts(self) -> tuple[int, int]:
        """(total, trainable) parameter counts."""
        total = sum(p.numel() for p in self.parameters())
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return total, trainable
