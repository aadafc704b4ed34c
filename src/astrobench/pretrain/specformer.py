"""`pretrain_specformer`: masked spectrum modelling on the one training runtime, then export.

Recipe (public AstroCLIP config, seed 003 Appendix B2): AdamW, betas (0.9, 0.95), weight decay
0.1 (none on norms, biases, positions), gradient clipping at 1, linear warmup then cosine
decay. The paper's 1e-5 learning rate suits 500k steps; the default here, 3e-4, suits the
few-thousand-step runs a CPU affords. Checkpoints, exact resume and DDP under torchrun come
from `astrobench.train.Trainer`.

DIR receives: encoder.safetensors + encoder.json (family "specformer", modality "spectrum",
the wavelength grid and normalisation), history.json (loss per epoch, spectra/s), recon.png
(hidden spans filled in), specformer.json (the run's settings) and checkpoints/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from astrobench.atomic import write_json_atomic
from astrobench.errors import ConfigError
from astrobench.models.spectrum.checkpoint import save_state, specformer_sidecar
from astrobench.models.spectrum.specformer import SpecFormer, SpecFormerConfig
from astrobench.pretrain.specformer_data import SpectrumData, build_spectrum_data
from astrobench.pretrain.specformer_model import MaskedSpectrumModel
from astrobench.pretrain.specformer_plot import save_spectrum_recon_plot
from astrobench.registry import register_pretrainer

DEFAULT_LR = 3.0e-4
N_RECON_SPECTRA = 3


@dataclass
class SpecformerRunResult:
    """What a spectrum pretraining run produced."""

    out_dir: Path
    encoder_path: Path
    history: list[dict[str, Any]]
    spectra_per_second: float


def specformer_loss(model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
    """The training loss of one batch: inverse-variance-weighted MSE on hidden windows."""
    return model(batch["spectrum"], batch.get("spectrum_ivar"))


def _mean_rate(history: dict[str, Any]) -> float:
    rates = [row["images_per_second"] for row in history["epochs"] if row.get("images_per_second")]
    return sum(rates) / len(rates) if rates else 0.0


def _finish(
    model: MaskedSpectrumModel, data: SpectrumData, out: Path, epochs: int, history: dict[str, Any]
) -> Path:
    """Export the encoder, draw recon.png and write history.json (rank 0 only)."""
    model = model.cpu().float()
    sidecar = specformer_sidecar(
        model.encoder,
        data_hash=data.data_hash,
        split_seed=data.split_seed,
        epochs=epochs,
        source="astrobench pretrain specformer",
        pretrainer={
            "method": "masked-spectrum-modelling",
            "n_spans": model.n_spans,
            "span_tokens": model.span_tokens,
            "inverse_variance_weights": data.has_ivar,
        },
    )
    path = save_state(out, model.encoder.state_dict(), sidecar)
    n_plot = min(N_RECON_SPECTRA, len(data.val))
    flux = torch.stack([data.val[i]["spectrum"] for i in range(n_plot)])  # [n, L]
    save_spectrum_recon_plot(model, flux, data.wavelength_angstrom, out / "recon.png")
    rate = _mean_rate(history)
    write_json_atomic(out / "history.json", {**history, "spectra_per_second": rate})
    return path


@register_pretrainer("specformer")
def pretrain_specformer(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    size: str = "tiny",
    epochs: int = 10,
    batch_size: int = 64,
    *,
    resume: bool = False,
    window: int = 20,
    stride: int = 10,
    n_spans: int = 6,
    span_tokens: int | None = None,
    dropout: float = 0.0,
    lr: float | None = None,
    warmup_epochs: float | None = None,
    num_workers: int = 0,
    seed: int = 0,
    split_seed: int = 0,
    device: str = "auto",
) -> SpecformerRunResult:
    """Pretrain a SpecFormer by masked spectrum modelling on `data`; export it to `out`.

    Args:
        data: cutout file (.h5) with /spectra and /wavelength (/spectra_ivar used if present).
        out: output folder (created); also holds the checkpoints for `resume`.
        size: encoder size: tiny, small, base or paper (768 wide, 6 blocks).
        epochs: training epochs.
        batch_size: spectra per optimizer step (per process under torchrun).
        resume: continue from the last checkpoint in `out`.
        window, stride: window length and step in pixels (paper: 20 and 10).
        n_spans: hidden spans per spectrum.
        span_tokens: windows per hidden span (None: windows // 16).
        dropout: dropout in the transformer blocks.
        lr: peak learning rate (None: 3e-4).
        warmup_epochs: linear warmup length (None: 10 % of the epochs).
        num_workers: data-loading worker processes.
        seed: seed of the initialisation, masking and data order.
        split_seed: seed of the train/val/test split; its val and test objects are held out.
        device: "auto", "cpu", "cuda" or "mps".
    """
    from astrobench.train import TrainConfig, Trainer

    if epochs < 1:
        raise ConfigError(f"epochs must be >= 1, got {epochs}")
    spectra = build_spectrum_data(data, batch_size=batch_size, split_seed=split_seed)
    grid = spectra.wavelength_angstrom
    config = SpecFormerConfig(
        int(grid.size), float(grid[0]), float(grid[-1]), size, window, stride, dropout
    )
    torch.manual_seed(seed)
    model = MaskedSpectrumModel(SpecFormer(config), n_spans, span_tokens)
    on_gpu = torch.cuda.is_available() and device in ("auto", "cuda")
    train_config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr or DEFAULT_LR,
        weight_decay=0.1,
        betas=(0.9, 0.95),
        warmup_epochs=warmup_epochs if warmup_epochs is not None else 0.1 * epochs,
        schedule="cosine",
        clip_grad_norm=1.0,
        precision="bf16" if on_gpu else "fp32",
        drop_last=True,
        num_workers=num_workers,
        seed=seed,
        device=device,  # type: ignore[arg-type]
        extra={
            "specformer": config.to_dict(),
            "data_hash": spectra.data_hash,
            "split_seed": split_seed,
        },
    )
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        out_dir / "specformer.json",
        {
            "specformer": config.to_dict(),
            "n_spans": n_spans,
            "span_tokens": model.span_tokens,
            "train": train_config.to_dict(),
        },
    )
    trainer = Trainer(
        model, specformer_loss, spectra.train, train_config, out_dir, model.param_groups(0.1)
    )
    history = trainer.fit(resume=resume).to_dict()
    encoder_path = out_dir / "encoder.safetensors"
    if trainer.is_main:
        encoder_path = _finish(model, spectra, out_dir, epochs, history)
    return SpecformerRunResult(out_dir, encoder_path, history["epochs"], _mean_rate(history))
