"""Generators of hostile and careless inputs: every file is made here, none is stored as a blob.

Each function writes one input under a folder and returns its path. `valid_cutouts` is the
well-formed starting point; the others damage one thing a user (or an attacker) could get
wrong. `mutate_randomly` applies seeded random damage for the fuzz run.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from astrobench.data.cutout_writer import write_cutouts

N_OBJECTS = 24
BANDS = ["g", "r", "z"]


def valid_cutouts(path: Path, n: int = N_OBJECTS, seed: int = 0) -> Path:
    """A small, valid 3-band 16 px cutout file with labels (3 classes) and redshift."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = rng.normal(0, 1, (n, len(BANDS), 16, 16)).astype(np.float32)
    images[:, :, 6:10, 6:10] += labels[:, None, None, None] + 1.0
    catalog = {
        "object_id": np.arange(n),
        "label": labels,
        "redshift": rng.uniform(0.01, 0.4, n),
    }
    write_cutouts(
        path,
        images,
        catalog,
        bands=BANDS,
        pixel_scale_arcsec=0.262,
        label_names=["a", "b", "c"],
        survey="adversarial",
    )
    return path


def declared_bomb(path: Path, n_declared: int = 10**9) -> Path:
    """~100 KB: a structurally valid cutout file declaring `n_declared` images, 3 stored."""
    with h5py.File(path, "w") as h5:
        images = h5.create_dataset(
            "images",
            shape=(n_declared, 3, 16, 16),
            chunks=(1, 3, 16, 16),
            dtype=np.float32,
            fletcher32=True,
        )
        images[:3] = 1.0
        catalog = h5.create_group("catalog")
        for name, dtype in (("object_id", np.int64), ("label", np.int64)):
            column = catalog.create_dataset(name, shape=(n_declared,), chunks=(8192,), dtype=dtype)
            column[:3] = 0
        catalog.attrs["label_names"] = json.dumps(["a", "b", "c"])
        _finished_attrs(h5)
    return path


def galaxy10_bomb(path: Path, n_declared: int = 10**9) -> Path:
    """The Galaxy10 DECaLS layout (uint8 NHWC images, `ans`) declaring `n_declared` objects."""
    with h5py.File(path, "w") as h5:
        images = h5.create_dataset(
            "images", shape=(n_declared, 64, 64, 3), chunks=(1, 64, 64, 3), dtype=np.uint8
        )
        images[:2] = 7
        ans = h5.create_dataset("ans", shape=(n_declared,), chunks=(4096,), dtype=np.uint8)
        ans[:2] = 1
    return path


def _finished_attrs(h5: h5py.File) -> None:
    h5.attrs.update(
        {
            "survey": "adversarial",
            "bands": BANDS,
            "pixel_scale_arcsec": 0.262,
            "image_unit": "arbitrary",
            "source": "tests",
            "license": "CC0",
            "created_by": "tests",
            "format_version": 1,
            "astrobench_format": "cutouts",
        }
    )


def with_root_attr(path: Path, key: str, value: Any) -> Path:
    """A valid file whose root attribute `key` is replaced by `value`."""
    valid_cutouts(path)
    with h5py.File(path, "r+") as h5:
        h5.attrs[key] = value
    return path


def with_label_names(path: Path, raw: bytes | str) -> Path:
    """A valid file whose label_names attribute holds `raw` (bytes: stored opaque)."""
    valid_cutouts(path)
    with h5py.File(path, "r+") as h5:
        attrs = h5["catalog"].attrs
        attrs["label_names"] = np.void(raw) if isinstance(raw, bytes) and raw else raw
    return path


def with_labels(path: Path, values: list[int]) -> Path:
    """A valid file whose first labels are replaced by `values`."""
    valid_cutouts(path)
    with h5py.File(path, "r+") as h5:
        h5["catalog/label"][: len(values)] = values
    return path


def zero_objects(path: Path) -> Path:
    """A finished-looking file with 0 images and empty columns."""
    with h5py.File(path, "w") as h5:
        h5.create_dataset("images", shape=(0, 3, 16, 16), maxshape=(None, 3, 16, 16), dtype="f4")
        catalog = h5.create_group("catalog")
        catalog.create_dataset("label", shape=(0,), dtype=np.int64)
        _finished_attrs(h5)
    return path


def external_link(path: Path) -> Path:
    """A valid file whose /catalog/redshift is an external link to another file."""
    valid_cutouts(path)
    other = path.with_name(path.stem + "_other.h5")
    with h5py.File(other, "w") as h5:
        h5.create_dataset("z", data=np.zeros(N_OBJECTS))
    with h5py.File(path, "r+") as h5:
        del h5["catalog/redshift"]
        h5["catalog/redshift"] = h5py.ExternalLink(other.name, "/z")
    return path


def not_hdf5(path: Path) -> Path:
    """Text pretending to be a cutout file."""
    path.write_text("this is not an HDF5 file\n" * 40)
    return path


def truncated(path: Path) -> Path:
    """A valid file cut to half its size (a killed copy)."""
    valid_cutouts(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def encoder_folder(folder: Path, **sidecar_changes: Any) -> Path:
    """A valid ckpt: encoder folder (random vit_tiny_p8 weights) with sidecar changes."""
    from astrobench.models.create import create_backbone
    from astrobench.models.encoder_checkpoint import save_encoder

    backbone = create_backbone("vit_tiny_p8", bands=BANDS, img_size=16)
    sidecar = {
        "arch": "vit_tiny",
        "patch_size": 8,
        "img_size": 16,
        "in_chans": 3,
        "bands": BANDS,
        "pooling": "mean",
        "layer": "plain",
        "normalisation": {"mean": [0.0] * 3, "std": [1.0] * 3},
        "data_hash": "0" * 16,
        "epochs": 1,
        "source": "tests",
    }
    save_encoder(folder, backbone, sidecar)
    if sidecar_changes:
        path = folder / "encoder.json"
        loaded = json.loads(path.read_text())
        loaded.update(sidecar_changes)
        path.write_text(json.dumps(loaded))
    return folder


def sidecar_as_list(folder: Path) -> Path:
    """An encoder folder whose sidecar is a JSON list."""
    encoder_folder(folder)
    (folder / "encoder.json").write_text(json.dumps([1, 2, 3]))
    return folder


class _RunsCode:
    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str]]:
        return (os.system, ("touch PWNED",))


def hf_folder(folder: Path, *, remote_code: bool = False, pickled: bool = False) -> Path:
    """A tiny transformers ViT folder; with remote code (auto_map + .py) or a hostile pickle."""
    import transformers

    config = transformers.ViTConfig(
        image_size=16,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_channels=3,
    )
    transformers.ViTModel(config).save_pretrained(folder)
    if remote_code:
        raw = json.loads((folder / "config.json").read_text())
        raw["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
        (folder / "config.json").write_text(json.dumps(raw))
        (folder / "modeling_evil.py").write_text("open('PWNED', 'w').write('ran')\n")
    if pickled:
        (folder / "model.safetensors").unlink()
        with open(folder / "pytorch_model.bin", "wb") as handle:
            pickle.dump({"weight": _RunsCode()}, handle)
    return folder


def billion_laughs(path: Path, data: Path) -> Path:
    """A ~500-byte suite whose settings expand to 10⁹ strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    body = "\n".join(f"  {line}" for line in lines)
    path.write_text(
        f"name: bomb\ndatasets:\n  d:\n    path: {data}\n    targets: [label]\n"
        f"backbones: [vit_tiny_p8]\nprotocols: [knn]\nsettings:\n{body}\n"
    )
    return path


def suite_file(path: Path, data: Path, dataset_key: str = "d", **extra: Any) -> Path:
    """A small suite on `data` (knn on vit_tiny_p8), with a chosen dataset key."""
    raw: dict[str, Any] = {
        "name": "adv",
        "datasets": {dataset_key: {"path": str(data), "targets": ["label"]}},
        "backbones": ["vit_tiny_p8"],
        "protocols": [{"name": "knn", "settings": {"embed": {"batch_size": 8}}}],
        "fractions": [1.0],
        "seeds": [0],
        "n_boot": 10,
        **extra,
    }
    path.write_text(json.dumps(raw))  # JSON is YAML
    return path


# --- seeded random damage for the fuzz run ------------------------------------------------------

_ATTR_VALUES: list[Any] = [
    "abc",
    -1,
    0,
    2,
    1.5,
    float("nan"),
    "",
    b"\xff\xfe",
    np.array([1, 2, 3]),
    np.array([b"g", b"g", b"r"]),
    10**18,
]


def mutate_randomly(path: Path, rng: np.random.Generator) -> str:
    """Apply one seeded random damage to a valid file; returns what was done."""
    with h5py.File(path, "r+") as h5:
        kind = int(rng.integers(0, 6))
        if kind == 0:
            key = str(rng.choice(sorted(h5.attrs.keys())))
            value = _ATTR_VALUES[int(rng.integers(len(_ATTR_VALUES)))]
            h5.attrs[key] = value
            return f"root attr {key}={value!r}"
        if kind == 1:
            name = str(rng.choice(sorted(h5["catalog"].keys())))
            del h5["catalog"][name]
            dtype = str(rng.choice(["f4", "i1", "u8", "S3", "f8"]))
            length = int(rng.choice([0, N_OBJECTS - 1, N_OBJECTS, N_OBJECTS + 5]))
            h5["catalog"].create_dataset(name, data=np.ones(length).astype(dtype))
            return f"column {name} as {dtype}[{length}]"
        if kind == 2:
            values = rng.integers(-9, 9, size=N_OBJECTS)
            h5["catalog/label"][...] = values
            return f"labels {values[:4].tolist()}..."
        if kind == 3:
            shape = tuple(int(v) for v in rng.choice([0, 1, 3, 16, 17], size=4))
            del h5["images"]
            h5.create_dataset("images", data=np.zeros(shape, dtype=np.float32))
            return f"images shape {shape}"
        if kind == 4:
            raw = rng.choice(['["a"]', "{}", "[1, 2]", "not json", '"a"', "[]"])
            h5["catalog"].attrs["label_names"] = str(raw)
            return f"label_names {raw}"
        del h5[str(rng.choice(["images", "catalog"]))]
        return "removed a required member"
