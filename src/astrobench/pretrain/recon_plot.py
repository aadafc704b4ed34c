"""recon.png: originals, masked inputs and MAE reconstructions of a few validation cutouts.

Row triplets per cutout: a colour composite (three bands, reddest to red) of the original, the
masked input and the reconstruction (visible patches pasted back, as in the MAE paper), then
one panel per band of the reconstruction next to the original band.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from astrobench.atomic import atomic_path
from astrobench.pretrain.mae import MaskedAutoencoder


def reconstruct(
    model: MaskedAutoencoder, images: torch.Tensor, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """images [B, C, H, W] -> (masked input, reconstruction, pasted) each [B, C, H, W]."""
    model.eval()
    with torch.inference_mode(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        latent, mask, ids_restore = model.forward_encoder(images, model.config.mask_ratio)
        pred = model.forward_decoder(latent, ids_restore)  # [B, L, p*p*C]
        if model.config.norm_pix_loss:  # undo the per-patch normalisation with the true stats
            target = model.patchify(images)
            pred = pred * (target.var(-1, keepdim=True) + 1.0e-6).sqrt() + target.mean(
                -1, keepdim=True
            )
        patch_pixels = pred.shape[-1]
        mask_px = model.unpatchify(mask.unsqueeze(-1).expand(-1, -1, patch_pixels))  # [B, C, H, W]
        recon = model.unpatchify(pred.float())
    masked = images * (1 - mask_px)
    pasted = images * (1 - mask_px) + recon * mask_px
    return masked, recon, pasted


def _composite(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """[C, H, W] -> RGB [H, W, 3] from the three reddest bands (or repeated for fewer)."""
    chans = image.shape[0]
    picks = [max(0, chans - 1), max(0, chans - 2 if chans > 2 else chans - 1), max(0, chans - 3)]
    if chans == 2:
        picks = [1, 0, 0]
    rgb = np.stack([image[i] for i in picks], axis=-1)
    return np.clip((rgb - low) / max(high - low, 1e-6), 0, 1)


def save_recon_plot(
    model: MaskedAutoencoder,
    images: torch.Tensor,
    bands: list[str],
    path: str | os.PathLike[str],
    seed: int = 0,
) -> Path:
    """Write the reconstruction figure of `images` [B, C, H, W] (normalised) to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    masked, _, pasted = reconstruct(model, images, seed)
    originals = images.numpy()
    n_objects, chans = originals.shape[:2]
    low, high = np.percentile(originals, [1, 99.5])
    n_cols = 3 + 2 * chans
    fig, axes = plt.subplots(
        n_objects, n_cols, figsize=(1.3 * n_cols, 1.4 * n_objects), squeeze=False
    )
    titles = ["original", "masked", "reconstruction"]
    for row in range(n_objects):
        panels = [originals[row], masked[row].numpy(), pasted[row].numpy()]
        for col, panel in enumerate(panels):
            axes[row, col].imshow(_composite(panel, low, high), origin="lower")
            axes[row, col].set_title(titles[col] if row == 0 else "", fontsize=7)
        for b in range(chans):
            for offset, (source, label) in enumerate(
                ((originals, "orig"), (pasted.numpy(), "recon"))
            ):
                ax = axes[row, 3 + 2 * b + offset]
                ax.imshow(source[row, b], origin="lower", cmap="gray", vmin=low, vmax=high)
                ax.set_title(f"{bands[b]} {label}" if row == 0 else "", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    target = Path(path)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return target
