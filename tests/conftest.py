"""Shared fixtures. The network is blocked for every test: tests never download anything."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest


class NetworkBlockedError(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Allow loopback (local test servers); refuse every other connection."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127.")):
            return real_connect(self, address)
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        raise NetworkBlockedError(f"tests must not use the network (tried {address!r})")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def small_cutouts(tmp_path: Path) -> Path:
    """A 60-object, 5-band (ugriz) 16x16 cutout file with labels, redshift and magnitudes."""
    from astrobench.data.cutout_writer import write_cutouts

    rng = np.random.default_rng(0)
    n = 60
    labels = np.arange(n) % 3
    images = rng.normal(0, 1, (n, 5, 16, 16)).astype(np.float32)
    images[:, :, 6:10, 6:10] += labels[:, None, None, None] + 1.0
    catalog = {
        "object_id": np.arange(n),
        "label": labels,
        "redshift": rng.uniform(0.01, 0.4, n),
        **{f"mag_{b}": rng.uniform(15, 20, n) for b in "ugriz"},
    }
    path = tmp_path / "small.h5"
    write_cutouts(
        path,
        images,
        catalog,
        bands=list("ugriz"),
        pixel_scale_arcsec=0.396,
        label_names=["a", "b", "c"],
        survey="test",
    )
    return path


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `astrobench ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from astrobench.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as stop:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        code = stop.value.code
        return (code if isinstance(code, int) else 1), out, err

    return run


@pytest.fixture
def corrupt_image() -> Any:
    """A function flipping one byte inside the stored chunk of object `index` of a cutout file."""
    import h5py

    def corrupt(path: Path, index: int) -> None:
        with h5py.File(path, "r") as handle:
            info = handle["images"].id.get_chunk_info_by_coord((index, 0, 0, 0))
        with open(path, "r+b") as raw:
            raw.seek(info.byte_offset + info.size // 2)
            byte = raw.read(1)
            raw.seek(info.byte_offset + info.size // 2)
            raw.write(bytes([byte[0] ^ 0xFF]))

    return corrupt
