"""`astrobench demo`: the main job, end to end on the built-in synthetic survey.

It is an ordinary suite (configs/demo.yaml, or configs/demo_quick.yaml with --quick) run by the
ordinary runner: synthesise a small SDSS-like survey, pretrain a tiny MAE briefly, then compare the
MAE-pretrained encoder, the same ViT at random initialisation, training from scratch and a timm
CNN at random initialisation on morphology and photo-z with kNN, linear and MLP probes and
fine-tuning, at 10 % and 100 % of the labels over several seeds. It writes the report and prints
three headline findings, every number computed from this run's results. A re-run reuses the
survey, the pretrained encoder and every finished cell.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from astrobench.atomic import write_json_atomic
from astrobench.bench.aggregate import summarise
from astrobench.bench.runner import bench
from astrobench.bench.store import ResultsStore
from astrobench.bench.suite import PRETRAINED_PREFIX, Suite, load_suite
from astrobench.errors import ConfigError
from astrobench.report.build import FINDINGS_FILE, report
from astrobench.report.findings import best_photoz, label_efficiency, pretraining_effect

DEMO_SUITE = "demo.yaml"
QUICK_SUITE = "demo_quick.yaml"
MORPHOLOGY = "label"
PHOTOZ = "redshift"


def demo_config_path(quick: bool) -> Path:
    """The demo's suite file: the repository's configs/ or the copy shipped in the package."""
    name = QUICK_SUITE if quick else DEMO_SUITE
    here = Path(__file__).resolve().parent
    for folder in (here.parents[1] / "configs", here / "configs"):
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(
        f"cannot find the demo suite {name}", "reinstall astrobench from its repository"
    )


def demo(
    out: str | Path = Path("demo_out"), quick: bool = False, progress: bool = True
) -> list[str]:
    """Run the demo into `out`, write the report, print and return the headline findings."""
    started = time.perf_counter()
    out = Path(out)
    suite = load_suite(demo_config_path(quick))
    workers = min(2, os.cpu_count() or 1)  # with 1 torch thread each: fast on idle or busy cores
    summary = bench(suite, out, workers=workers, progress=progress)
    findings = headline_findings(suite, ResultsStore(out))
    write_json_atomic(out / FINDINGS_FILE, {"findings": findings})
    files = report(out)
    minutes = (time.perf_counter() - started) / 60
    print(f"\nreport: {files.html.resolve()}\n        {files.markdown.resolve()}")
    print(
        f"{summary.n_run} cells run, {summary.n_skipped} reused, {len(summary.failures)} failed, "
        f"{minutes:.1f} min\n\nheadline findings:"
    )
    for index, finding in enumerate(findings, start=1):
        print(f"  {index}. {finding}")
    for failure in summary.failures:
        print(f"failed: {failure}", file=sys.stderr)
    return findings


def headline_findings(suite: Suite, store: ResultsStore) -> list[str]:
    """Pretraining effect on morphology, the best photo-z model, and label efficiency."""
    groups = summarise(store.rows(suite=suite.name))
    pretrained = next((b for b in suite.backbones if b.startswith(PRETRAINED_PREFIX)), None)
    baseline = _same_architecture_baseline(suite)
    candidates = [
        pretraining_effect(groups, MORPHOLOGY, pretrained, baseline, "linear")
        if pretrained and baseline
        else None,
        best_photoz(groups, PHOTOZ),
        label_efficiency(groups, MORPHOLOGY),
    ]
    return [finding for finding in candidates if finding]


def _same_architecture_baseline(suite: Suite) -> str | None:
    """The random-init backbone the scratch protocol trains: the MAE encoder's architecture."""
    for protocol in suite.protocols:
        if protocol.name == "scratch" and protocol.backbones:
            return protocol.backbones[0]
    return None
