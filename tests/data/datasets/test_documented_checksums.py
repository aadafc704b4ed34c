"""The download checksums shipped in the dataset registry are the ones docs/datasets.md shows."""

from __future__ import annotations

import re
from pathlib import Path

from astrobench.registry import DATASETS

DOC = Path(__file__).parents[3] / "docs" / "datasets.md"
_ROW = re.compile(
    r"^\| `(?P<name>[^`]+)` \| `(?P<file>[^`]+)` \| (?P<kind>\w+) \| (?P<sum>[^|]+)\|$"
)


def documented_checksums() -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(dataset, file) -> (kind, digest) parsed from the "Download checksums" table."""
    section = DOC.read_text().split("### Download checksums", 1)[1].split("\n#", 1)[0]
    table: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if match:
            kind = None if match["kind"] == "none" else match["kind"]
            digest = match["sum"].strip().strip("`")
            table[(match["name"], match["file"])] = (kind, None if kind is None else digest)
    return table


def shipped_checksums() -> dict[tuple[str, str], tuple[str | None, str | None]]:
    return {
        (name, resource.filename): (resource.checksum_kind, resource.checksum)
        for name in DATASETS.names()
        for resource in DATASETS.get(name).resources
    }


def test_shipped_checksums_equal_the_documented_ones() -> None:
    documented = documented_checksums()
    assert len(documented) >= 14  # the table was found and parsed
    assert shipped_checksums() == documented


def test_documented_digests_have_the_length_of_their_kind() -> None:
    lengths = {"sha256": 64, "md5": 32}
    for (name, filename), (kind, digest) in documented_checksums().items():
        if kind is not None:
            assert digest is not None and re.fullmatch(r"[0-9a-f]+", digest), (name, filename)
            assert len(digest) == lengths[kind], (name, filename)


def test_the_overview_table_abbreviates_the_same_sha256() -> None:
    """The datasets table quotes the first 8 hex digits of each sha256; they must agree too."""
    text = DOC.read_text()
    for (name, _), (kind, digest) in shipped_checksums().items():
        if kind == "sha256":
            assert digest is not None
            row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` | "))
            assert f"sha256 {digest[:8]}…" in row, name
