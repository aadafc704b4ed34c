"""Mutation testing of the core (`make mutation`): run mutmut module by module, then summarise.

mutmut 3 (configured in pyproject.toml, `[tool.mutmut]`) copies `src/` and `tests/` to `mutants/`,
plants one small change at a time (`>` for `>=`, `+ 1` for `- 1`, a dropped argument, ...) and runs
the selected tests that reach the changed function. A mutant that no test notices "survives".

This script runs `mutmut run` once over the whole configured core (mutmut's setup - copying,
collecting which tests reach which function, a clean run - then happens once), or, with
`--per-module`, one `mutmut run "<module>.*"` per module so each module gets its own run time
(slower: the setup is repeated). It then reads mutmut's verdicts (`mutants/**/*.py.meta`) and
prints, per module, killed / survived / argued-equivalent mutants and the kill rate of the
non-equivalent ones. Mutants argued equivalent (no test can tell them apart, because the
behaviour is identical) are listed with their reason in tools/mutation_equivalent.txt. The
summary is written to mutants/summary.md; docs/testing.md quotes it.

`--resume` continues an interrupted run: it keeps mutants/ and names only the mutants not
judged yet (with `--rerun-survivors`, also the surviving ones and those no test reached, e.g.
after adding tests).

Usage: python tools/mutation.py [--mutmut PATH] [--max-children N] [--keep] [--per-module]
       [--resume [--rerun-survivors]] [--summary-only] [MODULE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # as mutmut itself reads its configuration there
    import toml as tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "tools" / "mutation_equivalent.txt"


def configured_modules() -> tuple[str, ...]:
    """The modules `[tool.mutmut] only_mutate` names in pyproject.toml (globs expanded, in their
    order): the one list of what is mutated, so this script never disagrees with mutmut."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules: list[str] = []
    for pattern in config["only_mutate"]:
        for path in sorted(ROOT.glob(pattern)):
            if path.suffix == ".py" and path.name != "__init__.py":
                name = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
                modules += [] if name in modules else [name]
    return tuple(modules)


MODULES = configured_modules()
# killed, internal error, timeouts, type check, and the test process dying of a signal (mutmut's
# "segfault": SIGKILL -9 / SIGSEGV -11), which fails the test run as surely as an assertion
KILLED = {1, 3, 36, 37, -24, 24, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}


def main(argv: list[str] | None = None) -> int:
    """Run mutmut per module and print the summary; exit 1 if mutmut itself failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--mutmut", default=str(Path(sys.executable).parent / "mutmut"))
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", action="store_true", help="reuse verdicts in mutants/")
    parser.add_argument("--summary-only", action="store_true", help="only summarise mutants/")
    parser.add_argument("--per-module", action="store_true", help="one mutmut run per module")
    parser.add_argument(
        "--resume", action="store_true", help="keep mutants/, run only mutants not judged yet"
    )
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="with --resume: survivors and mutants no test reached too (new tests)",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    seconds: dict[str, float] = {}
    if not args.summary_only:
        if not (args.keep or args.resume):
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # test the mutants
        env.setdefault("OMP_NUM_THREADS", "1")
        runs = [[f"{m}.*"] for m in args.modules] if args.per_module else [[]]
        if not args.per_module and args.modules != list(MODULES):
            runs = [[f"{m}.*" for m in args.modules]]
        if args.resume and (ROOT / "mutants").is_dir():
            runs = [_unjudged(args.modules, args.rerun_survivors)]
            print(f"resuming: {len(runs[0])} mutants to run", flush=True)
            runs = runs if runs[0] else []
        for names in runs:
            start = time.perf_counter()
            command = [args.mutmut, "run", "--max-children", str(args.max_children), *names]
            result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
            label = names[0][:-2] if len(names) == 1 else "all"
            seconds[label] = time.perf_counter() - start
            print(f"{label}: {seconds[label]:.0f} s", flush=True)
            if result.returncode != 0:
                print(f"mutmut failed on {label} (exit {result.returncode})", file=sys.stderr)
                return 1
    text = summary(args.modules, seconds)
    (ROOT / "mutants").mkdir(exist_ok=True)
    (ROOT / "mutants" / "summary.md").write_text(text)
    print(text)
    return 0


def load_verdicts() -> dict[str, int | None]:
    """mutant name -> mutmut exit code (None: not run) from every .meta file in mutants/."""
    verdicts: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        verdicts.update(json.loads(meta.read_text())["exit_code_by_key"])
    return verdicts


def _unjudged(modules: list[str], survivors: bool) -> list[str]:
    """Names of the mutants of `modules` not judged yet (and the surviving ones if asked).

    mutmut re-runs every mutant named on its command line, so a resumed run names exactly
    these; a pattern like `module.*` would run the judged ones again.
    """
    wanted = {None, *SURVIVED, *NO_TESTS} if survivors else {None}
    return sorted(
        name
        for name, code in load_verdicts().items()
        if code in wanted and any(name.startswith(m + ".") for m in modules)
    )


def load_equivalent() -> dict[str, str]:
    """mutant name -> why it is equivalent, from tools/mutation_equivalent.txt."""
    reasons: dict[str, str] = {}
    for line in EQUIVALENT_FILE.read_text().splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            reasons[name.strip()] = reason.strip()
    return reasons


def summary(modules: list[str], seconds: dict[str, float]) -> str:
    """Markdown table of verdicts per module, then the surviving mutants not argued equivalent."""
    verdicts, equivalent = load_verdicts(), load_equivalent()
    lines = [
        "| module | mutants | tested | killed | survived | equivalent | no tests | kill rate "
        "| run time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    open_survivors: list[str] = []
    stale: list[str] = []  # argued equivalent, yet a test kills it: the argument is wrong or old
    totals: Counter[str] = Counter()
    for module in modules:
        counts: Counter[str] = Counter()
        for name, code in verdicts.items():
            if not name.startswith(module + "."):
                continue
            counts["total"] += 1
            if code is None:
                counts["not run"] += 1
            elif code in KILLED:
                counts["killed"] += 1
                stale += [name] if name in equivalent else []
            elif name in equivalent:
                counts["equivalent"] += 1
            elif code in NO_TESTS:
                counts["no tests"] += 1
                open_survivors.append(f"{name} (no test reaches it)")
            else:
                counts["survived"] += 1
                open_survivors.append(name)
        totals.update(counts)
        lines.append(_row(module.removeprefix("astrobench."), counts, seconds.get(module)))
    lines.append(_row("**all**", totals, sum(seconds.values()) if seconds else None))
    if seconds and list(seconds) == ["all"]:
        lines.append("\n(one mutmut run for all modules; `--per-module` times each module)")
    lines += ["", f"Surviving, not argued equivalent: {len(open_survivors)}"]
    lines += [f"- {name}" for name in sorted(open_survivors)]
    if stale:
        where = EQUIVALENT_FILE.name
        lines += ["", f"Argued equivalent but killed (remove from {where}): {len(stale)}"]
        lines += [f"- {name}" for name in sorted(stale)]
    return "\n".join(lines) + "\n"


def _row(name: str, counts: Counter[str], seconds: float | None) -> str:
    # kill rate of the non-equivalent mutants that were run (equivalent ones are counted as
    # tested: each was run and survived, and is argued in tools/mutation_equivalent.txt)
    judged = counts["total"] - counts["equivalent"] - counts["not run"]
    rate = f"{100 * counts['killed'] / judged:.1f} %" if judged else "-"
    took = f"{seconds:.0f} s" if seconds is not None else "-"
    return (
        f"| {name} | {counts['total']} | {counts['total'] - counts['not run']} | "
        f"{counts['killed']} | {counts['survived']} | "
        f"{counts['equivalent']} | {counts['no tests']} | {rate} | {took} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
