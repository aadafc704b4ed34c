"""Command line: a thin typer app; every command calls a library function of the same name.

Exit codes: 0 success, 2 user error (one line on stderr; traceback only with --debug), 1 a bug.
Usage mistakes (unknown command or option, missing option, a value of the wrong type) are user
errors too: typer >= 0.29 raises them from its own vendored copy of click, so both that copy's
exceptions and real click's are caught here.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import typer

from astrobench.cli.app import app, debug_state
from astrobench.disk import storage_error, storage_failure
from astrobench.errors import AstrobenchError

__all__ = ["app", "main"]


def _click_modules() -> list[ModuleType]:
    """typer's vendored click (typer >= 0.29) and real click, whichever are importable."""
    modules = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


def _exception_types(attribute: str) -> tuple[type[BaseException], ...]:
    found = [getattr(module, attribute, None) for module in _click_modules()]
    found += [getattr(typer, attribute, None)] if attribute in ("Exit", "Abort") else []
    return tuple({kind for kind in found if isinstance(kind, type)})


def _load_commands() -> None:
    """Import every command module in this package so its commands attach to the app."""
    for module in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if module.name != f"{__name__}.app":
            importlib.import_module(module.name)


def usage_line(error: Any) -> str:
    """One line for a click usage error: what is wrong and where to read the command's help."""
    message = " ".join(str(error.format_message()).split())
    ctx = getattr(error, "ctx", None)
    where = ctx.command_path if ctx is not None else "astrobench"
    return f"error: {message} (hint: see `{where} --help`)"


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def quiet_libraries(debug: bool) -> None:
    """Keep stderr to astrobench's own lines: one-line warnings, only astrobench's, and no
    library progress bars off a terminal. `--debug` shows everything."""
    if debug:
        return
    warnings.showwarning = _one_line_warning
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module=r"astrobench(\.|$)")
    if not sys.stderr.isatty():
        for name, value in _QUIET_ENVIRONMENT.items():
            os.environ.setdefault(name, value)


_QUIET_ENVIRONMENT = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def _failed_folder(exc: BaseException) -> Path:
    """The folder a failed write went to, as far as the exception tells."""
    filename = getattr(exc, "filename", None)
    return Path(str(filename)).absolute().parent if filename else Path.cwd()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `astrobench` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    quiet_libraries("--debug" in args)
    _load_commands()
    command = typer.main.get_command(app)
    no_args_help = _exception_types("NoArgsIsHelpError")
    usage_errors = _exception_types("ClickException")
    interrupts: tuple[type[BaseException], ...] = (*_exception_types("Abort"), KeyboardInterrupt)
    try:
        result = command.main(args=args, prog_name="astrobench", standalone_mode=False)
    except AstrobenchError as error:
        if debug_state["debug"] or "--debug" in args:
            traceback.print_exc()
        print(f"error: {error.one_line()}", file=sys.stderr)
        sys.exit(error.exit_code)
    except _exception_types("Exit") as stop:
        sys.exit(getattr(stop, "exit_code", 0))
    except no_args_help as shown:
        print(shown.format_message())  # type: ignore[attr-defined]
        sys.exit(0)
    except usage_errors as usage:
        if "--debug" in args:
            traceback.print_exc()
        print(usage_line(usage), file=sys.stderr)
        sys.exit(2)
    except interrupts:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if storage_failure(exc) is None:
            raise  # a bug: exit 1 with its traceback
        if "--debug" in args:
            traceback.print_exc()
        print(f"error: {storage_error(exc, _failed_folder(exc)).one_line()}", file=sys.stderr)
        sys.exit(2)
    sys.exit(result if isinstance(result, int) else 0)
