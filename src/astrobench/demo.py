"""`astrobench demo`: the main job, end to end on the built-in synthetic survey.

It is an ordinary suite (configs/demo.yaml, or configs/demo_quick.yaml with --quick) run by the
ordinary runner: synthesise a small SDSS-like survey, pretrain a tiny MAE briefly, then compare the
MAE-pretrained encoder, the same ViT at random initialisation, training from scratch and a timm
CNN at random initialisation on morphology and photo-z with kNN, linear and MLP probes and
fine-tuning, at 10 % and 100 % of the labels over several seeds. The random-init baseline of the
MAE encoder (`random:pretrained:...`) gets exactly the same input preparation, and photometry
alone (`catalog:...`) is the baseline every image model must beat on photo-z. It writes the
report and prints the headline findings, every number computed from this run's results. A re-run
reuses the survey, the pretrained encoder and every finished cell.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from astrobench.atomic import write_json_atomic
from astrobench.bench.aggregate import GroupSummary, summarise
from astrobench.bench.runner import bench
from astrobench.bench.store import ResultsStore
from astrobench.bench.suite import PRETRAINED_PREFIX, RANDOM_PREFIX, Suite, load_suite
from astrobench.errors import ConfigError
from astrobench.report.build import FINDINGS_FILE, best_group, report
from astrobench.report.findings import (
    best_photoz,
    most_confused_classes,
    photometry_baseline,
    pretraining_effect,
)
from astrobench.tasks.predictions import Predictions

DEMO_SUITE = "demo.yaml"
QUICK_SUITE = "demo_quick.yaml"
MORPHOLOGY = "label"
PHOTOZ = "redshift"
CATALOG_PREFIX = "catalog:"


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
    """Pretraining effect on morphology at few and all labels, the best photo-z model, and the
    classes the best morphology model confuses most."""
    groups = summarise(store.rows(suite=suite.name))
    pretrained = next((b for b in suite.backbones if b.startswith(PRETRAINED_PREFIX)), None)
    baseline = f"{RANDOM_PREFIX}{pretrained}" if pretrained else None
    photometry = next((b for b in suite.backbones if b.startswith(CATALOG_PREFIX)), None)
    candidates = [
        pretraining_effect(groups, MORPHOLOGY, pretrained, baseline, "linear")
        if pretrained and baseline in suite.backbones
        else None,
        best_photoz(groups, PHOTOZ),
        photometry_baseline(groups, PHOTOZ, photometry) if photometry else None,
        _confusion_finding(groups, store),
    ]
    return [finding for finding in candidates if finding]


def _confusion_finding(groups: list[GroupSummary], store: ResultsStore) -> str | None:
    """Most confused class pair of the best morphology model at all labels, over its seeds."""
    from astrobench.metrics.classification import confusion_matrix

    candidates = [g for g in groups if g.task == MORPHOLOGY]
    if not candidates:
        return None
    top = max(g.fraction for g in candidates)
    best = best_group([g for g in candidates if g.fraction == top])
    names = list(best.rows[0].config.get("task_spec", {}).get("class_names") or [])
    if not names:
        return None
    labels = np.arange(len(names))
    confusion = sum(
        confusion_matrix(p.y_true, p.y_pred, labels)
        for p in (Predictions.load(store.predictions_file(row)) for row in best.rows)
    )
    what = f"{best.backbone} + {best.protocol} at {top:.0%} of labels"
    return most_confused_classes(names, np.asarray(confusion), what, MORPHOLOGY)
