"""Our own encoder checkpoints: `encoder.safetensors` + `encoder.json` sidecar (format version 1).

The weights are the state dict of a timm VisionTransformer built by `models.vit.build_vit`
(keys `cls_token`, `pos_embed`, `patch_embed.proj.weight`, `blocks.<i>.*`, `norm.*`). The
sidecar says how to rebuild and feed it:

    {"format": "astrobench-encoder", "version": 1, "family": "vit", "modality": "image",
     "arch": "vit_tiny", "patch_size": 8, "img_size": 32, "in_chans": 5,
     "bands": ["u", "g", "r", "i", "z"], "pooling": "mean", "layer": "plain",
     "normalisation": {"mean": [...], "std": [...]}, "data_hash": "...", "split_seed": 0,
     "epochs": 100, "source": "astrobench pretrain mae"}

`data_hash` is the sha256 of the pretraining file's bytes and `split_seed` the seed of the split
whose val and test objects pretraining held out (absent: 0); see `encoder_provenance`.
`family` names the ENCODER_FAMILIES entry that rebuilds the model (default "vit", whose keys
are VIT_KEYS; other families define their own), `modality` what it reads (default "image").

`normalisation` holds per-band `mean` and `std` applied to pixels before the encoder (x - mean)
/ std; other keys in it are kept as metadata. Both files are written atomically, weights first,
so a sidecar never names weights that are not complete. `ckpt:<path>` specs load exactly this.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from astrobench.atomic import atomic_path, write_json_atomic
from astrobench.errors import CheckpointError, ConfigError

FORMAT_NAME = "astrobench-encoder"
FORMAT_VERSION = 1
WEIGHTS_NAME = "encoder.safetensors"
SIDECAR_NAME = "encoder.json"
REQUIRED_KEYS = ("data_hash", "source")  # every family
VIT_KEYS = (
    "arch",
    "patch_size",
    "img_size",
    "in_chans",
    "bands",
    "pooling",
    "layer",
    "normalisation",
    "epochs",
)


def save_encoder(
    path_dir: str | os.PathLike[str],
    encoder: nn.Module | Mapping[str, torch.Tensor],
    sidecar: Mapping[str, Any],
) -> Path:
    """Write `path_dir/encoder.safetensors` and `path_dir/encoder.json`; return the weights path.

    Args:
        path_dir: folder to write into (created if absent).
        encoder: a timm VisionTransformer, a Backbone wrapping one (its `.model` is saved), or
            a state dict with the ViT's own keys.
        sidecar: the keys of REQUIRED_KEYS; "format" and "version" are added.
    """
    from safetensors.torch import save_file

    missing = [key for key in required_keys(sidecar) if key not in sidecar]
    if missing:
        raise ConfigError(
            f"encoder sidecar lacks {', '.join(missing)}", f"give all of {required_keys(sidecar)}"
        )
    folder = Path(path_dir)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        name: t.detach().cpu().contiguous().clone() for name, t in _state_dict(encoder).items()
    }
    weights = folder / WEIGHTS_NAME
    with atomic_path(weights) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT_NAME})
    write_json_atomic(
        folder / SIDECAR_NAME, {"format": FORMAT_NAME, "version": FORMAT_VERSION, **sidecar}
    )
    return weights


def required_keys(sidecar: Mapping[str, Any]) -> tuple[str, ...]:
    """Keys a sidecar must hold: the common ones, and the ViT's for the default family."""
    family = sidecar.get("family", "vit")
    return REQUIRED_KEYS + (VIT_KEYS if family == "vit" else ())


def _state_dict(encoder: nn.Module | Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
    if isinstance(encoder, Mapping):
        return encoder
    inner = getattr(encoder, "model", None)  # a TimmBackbone: save the bare ViT's keys
    return (inner if isinstance(inner, nn.Module) else encoder).state_dict()


def encoder_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(weights, sidecar) paths for a folder, a .safetensors file or a .json sidecar."""
    given = Path(path).expanduser()
    if given.is_dir():
        return given / WEIGHTS_NAME, given / SIDECAR_NAME
    if given.suffix == ".json":
        return given.with_suffix(".safetensors"), given
    return given, given.with_suffix(".json")


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked sidecar of the checkpoint at `path`."""
    weights, sidecar_path = encoder_paths(path)
    if not weights.exists():
        raise CheckpointError(
            f"no encoder weights at {weights}",
            "point ckpt: at an encoder.safetensors written by `astrobench pretrain`, or its folder",
        )
    if not sidecar_path.exists():
        raise CheckpointError(
            f"{weights} has no sidecar {sidecar_path.name}",
            "the JSON sidecar written beside the weights is needed to rebuild the model",
        )
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{sidecar_path}: unreadable sidecar ({exc})", "re-export it"
        ) from exc
    if not isinstance(sidecar, dict):
        raise CheckpointError(
            f"{sidecar_path}: the sidecar must be a JSON object, not {type(sidecar).__name__}",
            "re-export the encoder with this astrobench",
        )
    if sidecar.get("format") != FORMAT_NAME or sidecar.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{sidecar_path}: not an {FORMAT_NAME} v{FORMAT_VERSION} sidecar",
            "re-export the encoder with this astrobench",
        )
    missing = [key for key in required_keys(sidecar) if key not in sidecar]
    if missing:
        raise CheckpointError(f"{sidecar_path}: sidecar lacks {', '.join(missing)}", "re-export it")
    problem = sidecar_problem(sidecar)
    if problem:
        raise CheckpointError(f"{sidecar_path}: {problem}", "re-export the encoder")
    return dict(sidecar)


# Bounds that no real encoder passes; a sidecar beyond them would make the model huge.
_INT_BOUNDS = {"patch_size": (1, 1024), "img_size": (1, 8192), "in_chans": (1, 1024)}


def sidecar_problem(sidecar: Mapping[str, Any]) -> str | None:
    """What is wrong with a sidecar's values (types and bounds), or None."""
    for key, (low, high) in _INT_BOUNDS.items():
        value = sidecar[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"{key} must be a whole number in {low}..{high}, got {value!r}"[:200]
    bands = sidecar["bands"]
    if not isinstance(bands, list) or not all(isinstance(b, str) for b in bands):
        return "bands must be a list of band names"
    if len(bands) != sidecar["in_chans"]:
        return f"{len(bands)} bands for in_chans {sidecar['in_chans']}"
    if sidecar["img_size"] % sidecar["patch_size"]:
        return f"img_size {sidecar['img_size']} is not a multiple of patch_size"
    for key in ("arch", "pooling", "layer"):
        if not isinstance(sidecar[key], str):
            return f"{key} must be a string, got {sidecar[key]!r}"[:200]
    norm = sidecar["normalisation"]
    if not isinstance(norm, dict):
        return "normalisation must be an object with mean and std"
    for key in ("mean", "std"):
        values = norm.get(key)
        if not isinstance(values, list) or len(values) != len(bands):
            return f"normalisation.{key} must be {len(bands)} numbers"
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return f"normalisation.{key} must be {len(bands)} numbers"
    return None


def load_encoder_state(
    path: str | os.PathLike[str],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state dict, sidecar) of the checkpoint at `path` (safetensors: no pickle)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    sidecar = read_sidecar(path)
    weights, _ = encoder_paths(path)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(
            f"{weights}: unreadable safetensors file ({exc})", "re-export it"
        ) from exc
    return state, sidecar
