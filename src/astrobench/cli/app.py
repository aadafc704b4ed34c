"""The typer applications. Command modules in this package attach their commands to these."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="astrobench",
    help="Pretrain, adapt and benchmark vision foundation models on astronomical images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Cutout files: synthesise, import, download, inspect.", no_args_is_help=True
)
pretrain_app = typer.Typer(help="Self-supervised pretraining.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(pretrain_app, name="pretrain")

debug_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for user errors."),
) -> None:
    debug_state["debug"] = debug
