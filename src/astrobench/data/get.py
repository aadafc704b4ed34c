"""`get_dataset`: download (or take by hand), verify and convert a named dataset, once.

Layout under the root (default $ASTROBENCH_HOME/datasets):
`<name>/raw/<original files>` and `<name>/<name>[_<size>px].h5` (the converted cutout file).
A finished converted file is reused; conversion runs only when it is absent or unreadable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from astrobench.data.cutout_file import CutoutFile
from astrobench.data.datasets.base import PublicDataset, Resource
from astrobench.data.download import cache_root, download_file, verify_checksum
from astrobench.disk import storage_error, storage_failure
from astrobench.errors import ChecksumError, ConfigError, DataFormatError
from astrobench.registry import DATASETS

UrlOverride = str | Mapping[str, str] | None


def datasets_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Folder holding every dataset's raw files and converted file."""
    return Path(root).expanduser() if root else cache_root() / "datasets"


def get_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    from_path: str | os.PathLike[str] | None = None,
    verify: bool = True,
    url_override: UrlOverride = None,
    *,
    image_size_px: int | None = None,
    progress: bool = True,
) -> Path:
    """Path of the converted cutout file of dataset `name`, downloading and converting if needed.

    Args:
        name: A registered dataset name (e.g. "galaxy10-decals").
        root: Folder of datasets (default $ASTROBENCH_HOME/datasets).
        from_path: A file downloaded by hand (or a folder holding all the original files by
            name); used in place instead of downloading.
        verify: Check published checksums (of downloads and of `from_path` files).
        url_override: A URL replacing the built-in one (single-file datasets), or a mapping
            original filename -> URL.
        image_size_px: Resize images to this size (default: the dataset's own default).
        progress: Show progress bars on a terminal.

    Returns:
        The converted cutout file.
    """
    dataset: PublicDataset = DATASETS.get(name)(image_size_px=image_size_px, progress=progress)
    folder = datasets_root(root) / name
    out_path = folder / dataset.converted_filename()
    if _is_complete(out_path):
        return out_path
    raw_paths = {
        resource.filename: _obtain(
            dataset, resource, folder / "raw", from_path, verify, url_override
        )
        for resource in dataset.resources
    }
    trusted = verify and from_path is None
    try:
        return dataset.convert(raw_paths, out_path)
    except (OSError, ValueError, KeyError, IndexError, TypeError, EOFError) as exc:
        if trusted and storage_failure(exc) is None:
            raise  # verified original files: a failure here is a bug, not the user's input
        if storage_failure(exc) is not None:
            raise storage_error(exc, out_path.parent) from exc
        raise DataFormatError(
            f"{name}: cannot convert {', '.join(str(p) for p in raw_paths.values())} "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:80]})",
            "pass the original files (and drop --no-verify to have them checked)",
        ) from exc


def _is_complete(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with CutoutFile(path):
            return True
    except DataFormatError:
        return False


def _obtain(
    dataset: PublicDataset,
    resource: Resource,
    raw_folder: Path,
    from_path: str | os.PathLike[str] | None,
    verify: bool,
    url_override: UrlOverride,
) -> Path:
    checks = verify and resource.checksum_kind is not None and resource.checksum is not None
    if from_path is not None:
        path = _locate_by_hand(dataset, resource, Path(from_path).expanduser())
        if checks:
            verify_checksum(path, resource.checksum_kind, resource.checksum, source="--from")  # type: ignore[arg-type]
        return path
    destination = raw_folder / resource.filename
    url = _url_for(dataset, resource, url_override)
    if destination.exists():
        if not checks:
            return destination  # only complete downloads ever get this name
        try:
            verify_checksum(destination, resource.checksum_kind, resource.checksum)  # type: ignore[arg-type]
            return destination
        except ChecksumError:
            pass  # a damaged cached copy: download it again, once
    return download_file(
        url,
        destination,
        checksum_kind=resource.checksum_kind if checks else None,
        checksum=resource.checksum if checks else None,
        manual_hint=f"or pass it with `astrobench data get {dataset.name} --from PATH`",
        progress=dataset.progress,
    )


def _url_for(dataset: PublicDataset, resource: Resource, url_override: UrlOverride) -> str:
    if url_override is None:
        return resource.resolved_url()
    if isinstance(url_override, str):
        if len(dataset.resources) != 1:
            raise ConfigError(
                f"{dataset.name} has {len(dataset.resources)} files; a single --url is ambiguous",
                "pass a mapping filename -> URL from Python, or set each file's URL variable",
            )
        return url_override
    return url_override.get(resource.filename, resource.resolved_url())


def _locate_by_hand(dataset: PublicDataset, resource: Resource, from_path: Path) -> Path:
    if from_path.is_dir():
        candidate = from_path / resource.filename
    elif len(dataset.resources) == 1 or from_path.name == resource.filename:
        candidate = from_path
    else:
        candidate = from_path.parent / resource.filename
    if not candidate.is_file():
        expected = ", ".join(r.filename for r in dataset.resources)
        raise DataFormatError(
            f"{candidate}: no such file (needed for {dataset.name})",
            f"--from takes the downloaded file, or a folder holding: {expected}",
        )
    return candidate
