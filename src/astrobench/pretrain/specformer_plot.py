"""recon.png of the spectrum encoder: hidden spans shaded, the model's fill drawn over the truth
(seed 003 Appendix D, Fig. D2). Fluxes are shown standardised (the units the model predicts).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from astrobench.atomic import atomic_path
from astrobench.pretrain.specformer_model import (
    MaskedSpectrumModel,
    standardised_flux,
    windows_to_pixels,
)


def fill_masked(
    model: MaskedSpectrumModel, flux: torch.Tensor, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(standardised truth [B, L], model fill on hidden pixels, NaN elsewhere [B, L])."""
    model.eval()
    windowing = model.encoder.windowing
    with torch.inference_mode(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        pred, _, mask = model.reconstruct(flux)  # [B, K, W], _, [B, K]
    fill = windows_to_pixels(pred, mask, windowing.stride, windowing.n_pixels)  # [B, L]
    return standardised_flux(flux).numpy(), fill.numpy()


def save_spectrum_recon_plot(
    model: MaskedSpectrumModel,
    flux: torch.Tensor,
    wavelength_angstrom: np.ndarray,
    path: str | os.PathLike[str],
) -> None:
    """Draw one panel per spectrum of `flux` [n, L] and write the PNG atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth, fill = fill_masked(model, flux)
    fig, axes = plt.subplots(len(truth), 1, figsize=(10, 2.2 * len(truth)), squeeze=False)
    for ax, true_row, fill_row in zip(axes[:, 0], truth, fill, strict=True):
        hidden = np.isfinite(fill_row)
        ax.fill_between(
            wavelength_angstrom,
            0,
            1,
            where=hidden,
            color="0.85",
            transform=ax.get_xaxis_transform(),
            label="hidden spans",
        )
        ax.plot(wavelength_angstrom, true_row, color="0.3", lw=0.6, label="spectrum")
        ax.plot(wavelength_angstrom, fill_row, color="tab:red", lw=0.8, label="model fill")
        ax.set_ylabel("standardised flux")
    axes[0, 0].legend(loc="upper right", fontsize=8, ncol=3)
    axes[-1, 0].set_xlabel("observed wavelength (Å)")
    fig.suptitle("Masked spectrum modelling: hidden spans filled in by the encoder")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
