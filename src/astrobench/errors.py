"""Every user-facing failure is an AstrobenchError: one line saying what is wrong, and a hint.

The CLI prints `error: <message> (hint: <hint>)` and exits with code 2 for these; anything else
is a bug (exit code 1). Raise the most specific subclass so callers can catch by kind.
"""

from __future__ import annotations


class AstrobenchError(Exception):
    """Base class of user errors: a one-line message and a hint on what to do."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.hint = " ".join(hint.split())

    def one_line(self) -> str:
        """The single line the CLI prints."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message

    def __str__(self) -> str:
        return self.one_line()


class ConfigError(AstrobenchError):
    """A bad option, argument or configuration value."""


class UnknownNameError(ConfigError):
    """A name that is not in a registry (backbone, dataset, protocol, ...)."""


class DataError(AstrobenchError):
    """Something is wrong with an input data file."""


class DataFormatError(DataError):
    """A file is not a (complete) astrobench cutout file, or has the wrong format version/shape."""


class CorruptDataError(DataError):
    """Bytes on disk do not match their checksum (e.g. an HDF5 fletcher32 failure)."""


class NonFiniteDataError(DataError):
    """NaN or infinite pixels where the policy says they are not allowed."""


class MissingColumnError(DataError):
    """A required catalog column is absent."""


class BandError(DataError):
    """Requested bands are absent, or the band count does not match what a model takes."""


class InsufficientDataError(DataError):
    """Too few objects (for a split, a label fraction, a class, or one batch)."""


class DownloadError(AstrobenchError):
    """A download could not be completed (offline, HTTP error)."""


class ChecksumError(DownloadError):
    """A downloaded or supplied file does not match its published checksum."""


class UnsafeArchiveError(DownloadError):
    """An archive member would be written outside the extraction folder."""


class BackboneError(AstrobenchError):
    """A backbone cannot be built or does not fit the data."""


class WeightsNotFoundError(BackboneError):
    """Pretrained weights are not available locally and cannot be downloaded."""


class TrainingDivergedError(AstrobenchError):
    """The loss became non-finite; names the step and the object indices of the batch."""


class CheckpointError(AstrobenchError):
    """No usable checkpoint could be loaded."""


class StorageError(AstrobenchError):
    """An output folder cannot take the files: disk full, read-only, or no permission."""


class OutputLockedError(AstrobenchError):
    """Another astrobench command is writing to the same --out folder."""
