"""Symmetric InfoNCE (seed 003 eq. 1, §5.3): row i of the image batch and row i of the spectrum
batch are the positive pair; every other row of the other modality is a negative.

    logits = s * z_im @ z_sp^T [B, B] (z L2-normalised, s the logit scale, 15.5 fixed in the paper)
    loss = (CE(logits, diag) + CE(logits^T, diag)) / 2
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PAPER_LOGIT_SCALE = 15.5


def similarity_logits(
    z_image: torch.Tensor, z_spectrum: torch.Tensor, logit_scale: float | torch.Tensor
) -> torch.Tensor:
    """Scaled cosine similarities [B, B]: image rows, spectrum columns."""
    a = F.normalize(z_image, dim=-1)  # [B, E]
    b = F.normalize(z_spectrum, dim=-1)  # [B, E]
    return logit_scale * a @ b.T  # [B, B]


def info_nce(
    z_image: torch.Tensor, z_spectrum: torch.Tensor, logit_scale: float | torch.Tensor
) -> torch.Tensor:
    """Symmetric InfoNCE of paired embeddings [B, E] (scalar)."""
    logits = similarity_logits(z_image, z_spectrum, logit_scale)  # [B, B]
    labels = torch.arange(len(logits), device=logits.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
