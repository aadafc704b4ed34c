"""`pretrain_clip`: align an image tower and a spectrum tower with InfoNCE (AstroCLIP, seed 003
§3.3, §5.3, Appendix B3), on the one training runtime, then export both aligned towers.

Both towers are frozen by default: their tokens are computed once (`clip_cache`) and an epoch
costs only the two cross-attention heads. `unfreeze=True` trains the towers too (tokens are
then recomputed every step). Recipe (public AstroCLIP config): AdamW, weight decay 0.01,
gradient clipping at 1, warmup then cosine decay, logit scale fixed at 15.5. The paper's
learning rate 1e-4 suits 500 epochs of 200k pairs; the default here, 5e-4, suits short runs.

DIR receives: image/ and spectrum/ (each encoder.safetensors + encoder.json, families
"clip-image" / "clip-spectrum": `ckpt:DIR?modality=image|spectrum`), history.json (loss per
epoch, pairs/s, validation recall), clip.json (settings), checkpoints/, token_cache/ (disk store).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from astrobench.atomic import write_json_atomic
from astrobench.data.cutout_file import CutoutFile
from astrobench.data.dataset import CutoutDataset
from astrobench.data.spectrum_dataset import check_finite_spectra, require_spectra
from astrobench.data.splits import split_indices
from astrobench.errors import ConfigError, InsufficientDataError
from astrobench.models.aligned.checkpoint import save_aligned
from astrobench.models.aligned.head import CrossAttentionHead, HeadConfig
from astrobench.models.encoder_provenance import content_sha256
from astrobench.models.spectrum.checkpoint import spectrum_normalisation
from astrobench.pretrain.clip_cache import TokenPairs, TokenStore, tower_tokens
from astrobench.pretrain.clip_eval import validation_retrieval
from astrobench.pretrain.clip_loss import PAPER_LOGIT_SCALE
from astrobench.pretrain.clip_model import ClipModel
from astrobench.pretrain.clip_towers import Towers, build_towers, freeze
from astrobench.registry import register_pretrainer

DEFAULT_LR = 5.0e-4


@dataclass
class ClipRunResult:
    """What an alignment run produced."""

    out_dir: Path
    encoders: dict[str, Path]  # modality -> folder of the aligned encoder
    history: list[dict[str, Any]]
    pairs_per_second: float
    validation: dict[str, float]


def clip_loss(model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
    """The training loss of one batch: symmetric InfoNCE."""
    return model(batch)


def _splits(data: Path, seed: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    with CutoutFile(data) as cutouts:
        require_spectra(cutouts)
        splits = split_indices(cutouts, seed=seed)
        n_objects = len(cutouts)
    train, val = splits["train"], splits["val"]
    if train.size < batch_size:
        raise InsufficientDataError(
            f"{data.name} has {train.size} training pairs, fewer than one batch of {batch_size}",
            "use a smaller --batch-size or a larger data file",
        )
    # The whole file: the test objects are embedded later, by every protocol.
    check_finite_spectra(data, np.arange(n_objects))
    return train, val


def _heads(
    towers: Towers, embed_dim: int, heads: int, dropout: float, mlp_ratio: float
) -> tuple[Any, Any]:
    # Seed 003 §3.3 / public code: the residual MLP on the spectrum side.
    image = HeadConfig(towers.image.num_features, embed_dim, heads, False, dropout, mlp_ratio)
    spectrum = HeadConfig(towers.spectrum.num_features, embed_dim, heads, True, dropout, mlp_ratio)
    return CrossAttentionHead(image), CrossAttentionHead(spectrum)


def _tower_records(towers: Towers) -> dict[str, dict[str, Any]]:
    return {
        "image": {"spec": towers.image_spec, "build": towers.build_options()},
        "spectrum": {
            "spec": towers.spectrum_spec,
            "specformer": towers.spectrum.config.to_dict(),  # type: ignore[union-attr,operator]
        },
    }


def _export(model: ClipModel, towers: Towers, out: Path, extra: dict[str, Any]) -> dict[str, Path]:
    records = _tower_records(towers)
    normalisation = {
        "image": {"recipe": towers.recipe},
        "spectrum": spectrum_normalisation(),
    }
    folders = {}
    for modality, encoder in model.aligned_encoders(towers).items():
        save_aligned(
            out / modality,
            encoder.cpu().float(),
            records[modality],
            normalisation=normalisation[modality],
            **extra,
        )
        folders[modality] = out / modality
    return folders


def _mean_rate(history: dict[str, Any]) -> float:
    rates = [row["images_per_second"] for row in history["epochs"] if row.get("images_per_second")]
    return sum(rates) / len(rates) if rates else 0.0


def _export_untrained(
    model: ClipModel,
    towers: Towers,
    out_dir: Path,
    path: Path,
    val_idx: np.ndarray,
    seed: int,
    split_seed: int,
) -> ClipRunResult:
    """`epochs: 0`: export both towers with their heads as initialised, never trained."""
    data_hash = content_sha256(path)
    extra = {
        "data_hash": data_hash,
        "split_seed": split_seed,
        "epochs": 0,
        "heads": "random",
        "logit_scale": float(model.logit_scale()),
        "source": "astrobench pretrain clip (epochs 0: heads at their random initialisation)",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "clip.json", {"clip": {"epochs": 0, "seed": seed, **extra}})
    folders = _export(model, towers, out_dir, extra)
    validation = validation_retrieval(model.aligned_encoders(towers), path, val_idx)
    history = {"epochs": [], "pairs_per_second": 0.0, "validation": validation, "heads": "random"}
    write_json_atomic(out_dir / "history.json", history)
    return ClipRunResult(out_dir, folders, [], 0.0, validation)


@register_pretrainer("clip")
def pretrain_clip(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    image: str = "vit_tiny_p8",
    spectrum: str = "specformer_tiny",
    epochs: int = 10,
    batch_size: int = 64,
    *,
    resume: bool = False,
    image_bands: Sequence[str] | None = None,
    embed_dim: int = 512,
    heads: int = 4,
    dropout: float = 0.0,
    mlp_ratio: float = 1.0,
    logit_scale: float = PAPER_LOGIT_SCALE,
    learnable_scale: bool = False,
    unfreeze: bool = False,
    token_store: TokenStore = "memory",
    lr: float | None = None,
    warmup_epochs: float | None = None,
    num_workers: int = 0,
    seed: int = 0,
    split_seed: int = 0,
    device: str = "auto",
) -> ClipRunResult:
    """Align the towers `image` and `spectrum` on the pairs of `data`; export both to `out`.

    Args:
        data: cutout file (.h5) with images and /spectra.
        out: output folder (created); also holds the checkpoints for `resume`.
        image: image tower spec (any backbone spec, e.g. `ckpt:runs/mae`, `vit_tiny_p8`).
        spectrum: spectrum tower spec (`ckpt:runs/specformer` or `specformer_tiny`).
        epochs: training epochs; 0 exports the heads as initialised (seeded by `seed`, so
            exactly the starting point of a trained run): the unaligned baseline.
        batch_size: pairs per step: the InfoNCE negatives are the other pairs of the batch.
        resume: continue from the last checkpoint in `out`.
        image_bands: the file's bands fed to the image tower (None: all).
        embed_dim, heads, dropout: the cross-attention heads (paper: 512, 4).
        mlp_ratio: hidden width of the heads' MLP / embed_dim (paper text: 1; its code: 4).
        logit_scale: the InfoNCE logit scale (paper: 15.5, fixed).
        learnable_scale: learn the logit scale instead (starting from `logit_scale`).
        unfreeze: train the towers too (no token cache).
        token_store: where cached tokens live: "memory" or "disk" (`out/token_cache`).
        lr: peak learning rate (None: 5e-4).
        warmup_epochs: linear warmup (None: 10 % of the epochs).
        num_workers: data-loading worker processes.
        seed: seed of the initialisation and data order.
        split_seed: seed of the train/val/test split; its val and test objects are held out.
        device: "auto", "cpu", "cuda" or "mps".
    """
    from astrobench.train import TrainConfig, Trainer

    if epochs < 0:
        raise ConfigError(
            f"epochs must be >= 0, got {epochs}", "0 exports the heads at their initialisation"
        )
    if logit_scale <= 0:
        raise ConfigError(f"logit scale must be positive, got {logit_scale}")
    path = Path(data)
    train_idx, val_idx = _splits(path, split_seed, batch_size)
    towers = build_towers(path, image, spectrum, image_bands)
    data_hash = content_sha256(path)
    out_dir = Path(out)
    torch.manual_seed(seed)
    image_head, spectrum_head = _heads(towers, embed_dim, heads, dropout, mlp_ratio)
    if epochs == 0:  # the unaligned baseline: same towers, same heads' initialisation (same seed)
        untrained = ClipModel(image_head, spectrum_head, logit_scale, learnable_scale)
        return _export_untrained(untrained, towers, out_dir, path, val_idx, seed, split_seed)
    dataset: Dataset[Any]
    if unfreeze:
        model = ClipModel(image_head, spectrum_head, logit_scale, learnable_scale, towers, True)
        dataset = CutoutDataset(path, train_idx, with_spectra=True)
    else:
        freeze(towers.image)
        freeze(towers.spectrum)
        tokens = tower_tokens(
            towers, path, train_idx, token_store, out_dir / "token_cache", data_hash
        )
        model = ClipModel(image_head, spectrum_head, logit_scale, learnable_scale)
        dataset = TokenPairs(tokens, train_idx)
    on_gpu = torch.cuda.is_available() and device in ("auto", "cuda")
    settings = {
        "image": image,
        "spectrum": spectrum,
        "heads": {
            "embed_dim": embed_dim,
            "heads": heads,
            "dropout": dropout,
            "mlp_ratio": mlp_ratio,
        },
        "logit_scale": logit_scale,
        "learnable_scale": learnable_scale,
        "unfreeze": unfreeze,
        "bands": towers.bands,
        "data_hash": data_hash,
        "split_seed": split_seed,
    }
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr or DEFAULT_LR,
        weight_decay=0.01,
        warmup_epochs=warmup_epochs if warmup_epochs is not None else 0.1 * epochs,
        schedule="cosine",
        clip_grad_norm=1.0,
        precision="bf16" if on_gpu else "fp32",
        drop_last=True,
        num_workers=num_workers,
        seed=seed,
        device=device,  # type: ignore[arg-type]
        extra={"clip": settings},
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "clip.json", {"clip": settings, "train": config.to_dict()})
    trainer = Trainer(model, clip_loss, dataset, config, out_dir, model.param_groups(0.01))
    history = trainer.fit(resume=resume).to_dict()
    folders = {m: out_dir / m for m in ("image", "spectrum")}
    validation: dict[str, float] = {}
    if trainer.is_main:
        model = model.cpu().float()
        extra = {
            "data_hash": data_hash,
            "split_seed": split_seed,
            "epochs": epochs,
            "logit_scale": float(model.logit_scale()),
            "source": "astrobench pretrain clip",
        }
        folders = _export(model, towers, out_dir, extra)
        validation = validation_retrieval(model.aligned_encoders(towers), path, val_idx)
        rate = _mean_rate(history)
        write_json_atomic(
            out_dir / "history.json",
            {**history, "pairs_per_second": rate, "validation": validation},
        )
    return ClipRunResult(out_dir, folders, history["epochs"], _mean_rate(history), validation)
