"""The one download helper of all named datasets: stream, hash, verify, rename atomically.

A download is streamed (urllib, with a socket timeout) into a temporary `.part` file in the
destination folder while its digest is computed; only a file whose checksum matches is renamed to
its final name. An interrupted or corrupted download therefore never sits under the final name.
There is exactly one attempt per call: offline, an HTTP error or a checksum mismatch raise a
one-line DownloadError / ChecksumError naming the URL, the expected file and where to put it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from astrobench.atomic import commit_temporary
from astrobench.errors import ChecksumError, ConfigError, DownloadError

ChecksumKind = Literal["sha256", "md5"]
HOME_ENV = "ASTROBENCH_HOME"
DEFAULT_TIMEOUT_S = 60.0
_CHUNK_BYTES = 1 << 20
_USER_AGENT = "astrobench (https://github.com/astrobench)"


def cache_root() -> Path:
    """The cache root: $ASTROBENCH_HOME, else ~/.cache/astrobench."""
    configured = os.environ.get(HOME_ENV, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "astrobench"


def new_digest(algorithm: ChecksumKind) -> hashlib._Hash:
    """A fresh hash object of the given algorithm."""
    if algorithm not in ("sha256", "md5"):
        raise ConfigError(f"unknown checksum kind {algorithm!r}", "use 'sha256' or 'md5'")
    return hashlib.sha256() if algorithm == "sha256" else hashlib.md5(usedforsecurity=False)


def file_digest(path: str | os.PathLike[str], kind: ChecksumKind = "sha256") -> str:
    """Hex digest of a file, read in chunks (never whole into memory)."""
    digest = new_digest(kind)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(
    path: str | os.PathLike[str], kind: ChecksumKind, expected: str, *, source: str = ""
) -> None:
    """Raise ChecksumError unless the file's digest equals `expected` (case-insensitive)."""
    actual = file_digest(path, kind)
    if actual.lower() != expected.strip().lower():
        origin = f" (from {source})" if source else ""
        raise ChecksumError(
            f"{path}{origin} has {kind} {actual}, expected {expected.lower()}",
            "the file is corrupt, truncated or a different version; download it again, "
            "or pass --no-verify if you trust it",
        )


def download_file(
    url: str,
    destination: str | os.PathLike[str],
    *,
    checksum_kind: ChecksumKind | None = None,
    checksum: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    manual_hint: str = "",
    progress: bool = True,
) -> Path:
    """Download `url` to `destination` (one attempt); verify its checksum before renaming it.

    Args:
        url: Where to fetch from (http, https or file).
        destination: Final path; its folder is created. A temporary `.part` file beside it
            receives the bytes and is removed on any failure or interruption.
        checksum_kind: "sha256" or "md5", or None when no checksum is published.
        checksum: Expected hex digest of the downloaded bytes (None: not verified).
        timeout_s: Socket timeout in seconds (connection and every read).
        manual_hint: Extra words for the error hint (e.g. the `--from` command).
        progress: Show a progress bar when stderr is a terminal.

    Returns:
        The destination path, holding the complete (and verified) file.
    """
    final = Path(destination)
    final.parent.mkdir(parents=True, exist_ok=True)
    digest = new_digest(checksum_kind) if checksum_kind and checksum else None
    by_hand = f"download {url} by hand and save it as {final}" + (
        f", {manual_hint}" if manual_hint else ""
    )
    with _temporary_part(final) as part:
        try:
            _stream(url, part, digest, timeout_s, progress)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DownloadError(f"could not download {url} ({_reason(exc)})", by_hand) from exc
        if digest is not None and checksum is not None:
            actual = digest.hexdigest()
            if actual.lower() != checksum.strip().lower():
                raise ChecksumError(
                    f"download of {url} has {checksum_kind} {actual}, expected {checksum.lower()}; "
                    "the file was discarded",
                    f"the link may serve a different or damaged file; {by_hand}",
                )
        commit_temporary(part, final)
    return final


@contextlib.contextmanager
def _temporary_part(final: Path) -> Iterator[Path]:
    """A `.part` file beside `final`, removed unless it was renamed (success)."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    part = Path(name)
    try:
        yield part
    finally:
        part.unlink(missing_ok=True)


def _stream(
    url: str, part: Path, digest: hashlib._Hash | None, timeout_s: float, progress: bool
) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout_s) as response, open(part, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        written = _copy(response, out, digest, total, progress, Path(part).name)
        if total is not None and written != total:
            raise OSError(f"connection closed after {written} of {total} bytes")


def _copy(
    source: BinaryIO,
    out: BinaryIO,
    digest: hashlib._Hash | None,
    total: int | None,
    progress: bool,
    label: str,
) -> int:
    written = 0
    with progress_bar(total, f"downloading {label}", enabled=progress) as advance:
        for block in iter(lambda: source.read(_CHUNK_BYTES), b""):
            out.write(block)
            if digest is not None:
                digest.update(block)
            written += len(block)
            advance(len(block))
    return written


@contextlib.contextmanager
def progress_bar(
    total: float | None, description: str, *, enabled: bool = True
) -> Iterator[Callable[[float], None]]:
    """Yield `advance(amount)`; draws a rich bar only when enabled and stderr is a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda amount: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda amount: bar.advance(task, amount)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"offline or unreachable: {exc.reason}"
    return " ".join(str(exc).split()) or type(exc).__name__
