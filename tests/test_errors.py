"""The error hierarchy: one line with a hint, exit code 2, catchable by kind."""

from __future__ import annotations

import pytest

from astrobench import errors


def test_message_and_hint_are_one_line() -> None:
    error = errors.CorruptDataError("file x:\n object 3   is bad", "re-create\nit")
    assert error.one_line() == "file x: object 3 is bad (hint: re-create it)"
    assert str(error) == error.one_line()
    assert "\n" not in str(error)


def test_without_hint_prints_message_only() -> None:
    assert errors.ConfigError("bad value").one_line() == "bad value"


@pytest.mark.parametrize(
    "kind, parent",
    [
        (errors.UnknownNameError, errors.ConfigError),
        (errors.CorruptDataError, errors.DataError),
        (errors.NonFiniteDataError, errors.DataError),
        (errors.MissingColumnError, errors.DataError),
        (errors.BandError, errors.DataError),
        (errors.ChecksumError, errors.DownloadError),
        (errors.WeightsNotFoundError, errors.BackboneError),
    ],
)
def test_subclasses_are_user_errors_with_exit_code_2(kind: type, parent: type) -> None:
    error = kind("x")
    assert isinstance(error, parent)
    assert isinstance(error, errors.AstrobenchError)
    assert error.exit_code == 2
