"""The download helper: verified, atomic, one attempt, and clear errors when it cannot succeed."""

from __future__ import annotations

import hashlib
import http.server
import socket
from pathlib import Path
from typing import Any

import pytest

from astrobench.data import download
from astrobench.data.download import cache_root, download_file, file_digest, verify_checksum
from astrobench.errors import ChecksumError, DownloadError

from .datasets.local_http import serve_folder

PAYLOAD = bytes(range(256)) * 5000  # 1.28 MB: more than one streaming block


@pytest.fixture
def served_payload(tmp_path: Path):
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "data.bin").write_bytes(PAYLOAD)
    with serve_folder(folder) as url:
        yield f"{url}/data.bin"


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_cache_root_follows_astrobench_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home"
    monkeypatch.delenv("ASTROBENCH_HOME")
    assert cache_root() == Path.home() / ".cache" / "astrobench"


@pytest.mark.parametrize("kind", ["sha256", "md5"])
def test_verified_download_lands_complete(kind: str, served_payload: str, tmp_path: Path) -> None:
    expected = hashlib.new(kind, PAYLOAD).hexdigest().upper()  # published digests may be upper case
    out = download_file(
        served_payload,
        tmp_path / "cache" / "data.bin",
        checksum_kind=kind,
        checksum=expected,
        progress=False,
    )
    assert out.read_bytes() == PAYLOAD
    assert _files(tmp_path / "cache") == ["data.bin"]  # no .part left behind


def test_corrupted_download_is_rejected_and_discarded(served_payload: str, tmp_path: Path) -> None:
    wrong = hashlib.sha256(PAYLOAD[:-1]).hexdigest()
    with pytest.raises(ChecksumError, match=r"has sha256 [0-9a-f]{64}, expected 843d6866") as error:
        download_file(
            served_payload,
            tmp_path / "cache" / "data.bin",
            checksum_kind="sha256",
            checksum=wrong,
            progress=False,
        )
    assert served_payload in str(error.value) and "data.bin" in error.value.hint
    assert _files(tmp_path / "cache") == []


class _TruncatingHandler(http.server.BaseHTTPRequestHandler):
    """Announces the full length, sends half, then drops the connection."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_interrupted_transfer_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    with (
        serve_folder(tmp_path, handler=_TruncatingHandler) as url,
        pytest.raises(DownloadError, match="could not download"),
    ):
        download_file(f"{url}/data.bin", tmp_path / "cache" / "data.bin", progress=False)
    assert _files(tmp_path / "cache") == []


def test_killed_download_removes_its_partial_file(
    served_payload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copy = download._copy

    def interrupted(source: Any, out: Any, *args: Any) -> int:
        out.write(source.read(1000))
        raise KeyboardInterrupt("test interrupt")

    monkeypatch.setattr(download, "_copy", interrupted)
    with pytest.raises(KeyboardInterrupt, match="test interrupt"):
        download_file(served_payload, tmp_path / "cache" / "data.bin", progress=False)
    assert _files(tmp_path / "cache") == []
    monkeypatch.setattr(download, "_copy", real_copy)
    download_file(served_payload, tmp_path / "cache" / "data.bin", progress=False)
    assert (tmp_path / "cache" / "data.bin").read_bytes() == PAYLOAD


def test_http_error_is_one_line_with_the_manual_step(served_payload: str, tmp_path: Path) -> None:
    missing = served_payload.replace("data.bin", "gone.bin")
    with pytest.raises(DownloadError, match=r"could not download .*gone.bin .HTTP 404") as error:
        download_file(
            missing, tmp_path / "gone.bin", manual_hint="or use --from PATH", progress=False
        )
    line = error.value.one_line()
    assert "HTTP 404" in line and missing in line and "--from PATH" in line
    assert "\n" not in line


def test_offline_fails_once_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def no_dns(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(DownloadError, match="offline or unreachable"):
        download_file("https://example.org/file.h5", tmp_path / "file.h5", progress=False)
    assert len(calls) == 1  # one attempt, never a retry loop
    assert _files(tmp_path) == []


def test_refused_connection_is_a_download_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="offline or unreachable"):
        download_file(f"http://127.0.0.1:{port}/x", tmp_path / "x", timeout_s=5, progress=False)


def test_verify_checksum_of_a_local_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"astro")
    verify_checksum(path, "md5", hashlib.md5(b"astro").hexdigest())
    assert file_digest(path) == hashlib.sha256(b"astro").hexdigest()
    with pytest.raises(ChecksumError, match="expected"):
        verify_checksum(path, "sha256", "ab" * 32)
