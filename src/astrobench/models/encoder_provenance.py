"""Which data an own encoder was pretrained on, and the check that a probe does not test on it.

`astrobench pretrain` holds out the validation and test objects of the split that `split_seed`
draws (the same split every protocol uses), and records in the encoder sidecar the sha256 of the
data file's bytes (`data_hash`) and that `split_seed`. Evaluating such an encoder on the same file
with another split seed would put pretraining objects in the test split: `check_encoder_split`
refuses it. Sidecars written before `split_seed` was recorded mean split seed 0; their 16-hex
`data_hash` is the older fingerprint (name, size, first and last MiB).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from astrobench.content_hash import content_sha256 as content_sha256
from astrobench.data import cutout_format as fmt
from astrobench.data.cutout_file import CutoutFile
from astrobench.errors import ConfigError
from astrobench.models.embedding_cache import cache_root, file_sha256
from astrobench.models.encoder_checkpoint import read_sidecar
from astrobench.models.spec import parse_spec

DEFAULT_SPLIT_SEED = 0  # what a sidecar without `split_seed` was pretrained with
_LEGACY_HASH_CHARS = 16


def legacy_fingerprint(path: Path) -> str:
    """The `data_hash` of older sidecars: sha256 (16 hex) of name, size, first and last MiB."""
    size = path.stat().st_size
    digest = hashlib.sha256(f"{path.name}:{size}".encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def _same_data(recorded: str, data: Path, cache_dir: Path | None) -> bool:
    if len(recorded) == _LEGACY_HASH_CHARS:
        return recorded == legacy_fingerprint(data)
    return recorded == file_sha256(data, cache_root(cache_dir))  # memoised by path, size, mtime


def check_encoder_split(
    backbone_spec: str,
    data_path: str | os.PathLike[str],
    split_seed: int,
    cache_dir: str | os.PathLike[str] | None = None,
    split_scheme: str = "standard",
) -> None:
    """Refuse to evaluate a `ckpt:` encoder on the file it was pretrained on with another split.

    Nothing to check for other backbones, for a file with its own `split` column (every seed
    gives that split), or when the split seeds agree; only then is the file's hash compared.

    Args:
        backbone_spec: the backbone spec a protocol will build, e.g. "ckpt:run/encoder.safetensors".
        data_path: the cutout file the protocol splits into train / val / test.
        split_seed: the protocol's split seed.
        cache_dir: where the file's sha256 is memoised (default: the embedding cache root).
        split_scheme: the protocol's split scheme ("standard" or "disjoint", data/splits.py);
            it must be the encoder's too: the two schemes hold out different objects.

    Raises:
        ConfigError: the encoder saw this file's objects outside the split `split_seed` draws.
    """
    spec = parse_spec(backbone_spec)
    if spec.scheme != "ckpt":
        return
    from astrobench.models.backbones.ckpt_backbone import encoder_location

    sidecar = read_sidecar(encoder_location(spec))  # `?modality=` picks a CLIP run's tower
    pretrained_seed = int(sidecar.get("split_seed", DEFAULT_SPLIT_SEED))
    pretrained_scheme = str(sidecar.get("split_scheme", "standard"))
    if pretrained_seed == int(split_seed) and pretrained_scheme == split_scheme:
        return
    data = Path(data_path).expanduser()
    with CutoutFile(data) as cutouts:
        if cutouts.has_column(fmt.SPLIT):
            return
    cache = Path(cache_dir).expanduser() if cache_dir is not None else None
    if not _same_data(str(sidecar.get("data_hash", "")), data, cache):
        return
    if pretrained_scheme != split_scheme:
        raise ConfigError(
            f"encoder {spec.name} was pretrained on this file with the {pretrained_scheme} split "
            f"(split_seed {pretrained_seed}); a {split_scheme} split would test on objects it saw",
            f"use --split-scheme {pretrained_scheme} --split-seed {pretrained_seed} (suite "
            f"settings split_scheme: {pretrained_scheme}, split_seed: {pretrained_seed})",
        )
    raise ConfigError(
        f"encoder {spec.name} was pretrained on this file with split_seed {pretrained_seed}; "
        f"probing with split_seed {split_seed} would test on objects it saw",
        f"use --split-seed {pretrained_seed} (suite setting split_seed: {pretrained_seed})",
    )
