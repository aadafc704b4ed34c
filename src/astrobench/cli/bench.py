"""`astrobench bench`, `astrobench report` and `astrobench demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from astrobench.cli.app import app


@app.command("bench")
def bench(
    suite: Path = typer.Argument(..., help="A suite YAML file (see configs/)."),
    out: Path = typer.Option(
        ..., "--out", help="Results folder (reused: finished cells are skipped)."
    ),
    workers: int = typer.Option(1, "--workers", help="Cells run at once, each in its own process."),
    executor: str = typer.Option("local", "--executor", help="local (process pool) or ray."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
    set_values: list[str] = typer.Option(
        [],
        "--set",
        help="KEY=VALUE: change one value of the suite (dotted path, list items by index), "
        "e.g. --set datasets.desi.synth.n=5000. Repeatable.",
    ),
) -> None:
    """Run every unfinished cell of a suite; one row per cell in OUT/results.sqlite."""
    from astrobench.bench.runner import bench as run_bench

    summary = run_bench(
        suite, out, workers=workers, executor=executor, progress=not quiet, overrides=set_values
    )
    typer.echo(
        f"{summary.n_run} cells run, {summary.n_skipped} reused; "
        f"results in {out / 'results.sqlite'}"
    )
    if summary.n_bugs:  # a bug: every failure, and exit code 1
        for failure in summary.failures:
            typer.echo(f"failed: {failure}", err=True)
        raise typer.Exit(1)
    if summary.failures:
        from astrobench.atomic import atomic_open
        from astrobench.errors import AstrobenchError

        with atomic_open(out / "failures.txt") as handle:
            handle.write("".join(f"{failure}\n" for failure in summary.failures))
        raise AstrobenchError(
            f"{len(summary.failures)} of {summary.n_run} cells failed; first: "
            f"{summary.failures[0]}",
            f"all are listed in {out / 'failures.txt'}; fix them and re-run (finished cells are "
            "kept)",
        )


@app.command("report")
def report(
    results_dir: Path = typer.Argument(..., help="A results folder written by `astrobench bench`."),
) -> None:
    """Write DIR/report.md and a self-contained DIR/report.html from the results."""
    import contextlib

    from astrobench.out_lock import locked_output
    from astrobench.report.build import report as build_report

    # Not while a bench run writes there; a missing folder is reported by build_report.
    lock = (
        locked_output(results_dir, "report") if results_dir.is_dir() else contextlib.nullcontext()
    )
    with lock:
        files = build_report(results_dir)
    typer.echo(f"report: {files.html}  ({files.markdown}, {len(files.figures)} figures)")


@app.command("demo")
def demo(
    quick: bool = typer.Option(
        False, "--quick", help="A tiny version (about 3 minutes on 2 cores)."
    ),
    out: Path = typer.Option(Path("demo_out"), "--out", help="Output folder (reused on a re-run)."),
) -> None:
    """The main job: synthetic survey, tiny MAE, a comparison grid, a report and findings."""
    from astrobench.demo import demo as run_demo

    run_demo(out=out, quick=quick)
