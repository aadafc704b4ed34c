"""Command line: a thin typer app; every command calls a library function of the same name.

Exit codes: 0 success, 2 user error (one line on stderr; traceback only with --debug), 1 a bug.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from collections.abc import Sequence

import click
import typer

from astrobench.cli.app import app, debug_state
from astrobench.errors import AstrobenchError

__all__ = ["app", "main"]


def _load_commands() -> None:
    """Import every command module in this package so its commands attach to the app."""
    for module in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if module.name != f"{__name__}.app":
            importlib.import_module(module.name)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `astrobench` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    _load_commands()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="astrobench", standalone_mode=False)
    except AstrobenchError as error:
        if debug_state["debug"] or "--debug" in args:
            traceback.print_exc()
        print(f"error: {error.one_line()}", file=sys.stderr)
        sys.exit(error.exit_code)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.ClickException as usage:
        usage.show()
        sys.exit(2)
    except (click.exceptions.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)
