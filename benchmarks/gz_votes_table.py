"""Print the per-question vote table of a configs/gz_votes.yaml results folder beside seed 003
Table E1 (accuracy / F1 of AstroCLIP, DINO, Stein et al. and ZooBot on GZ DECaLS-5).

    astrobench bench configs/gz_votes.yaml --out runs/gz_votes --workers 2
    python benchmarks/gz_votes_table.py runs/gz_votes
"""

from __future__ import annotations

import sys

from astrobench.bench.store import ResultsStore
from astrobench.registry import VOTE_SCHEMAS
from astrobench.report.vote_figures import morphology_table

# Seed 003 Table E1 (accuracy, F1); its question names mapped to the GZD-5 schema's.
TABLE_E1 = {
    "smooth-or-featured": {"CLIP": (0.83, 0.83), "DINO": (0.84, 0.83), "ZooBot": (0.94, 0.94)},
    "disk-edge-on": {"CLIP": (0.97, 0.97), "DINO": (0.97, 0.97), "ZooBot": (0.99, 0.99)},
    "has-spiral-arms": {"CLIP": (0.92, 0.94), "DINO": (0.95, 0.96), "ZooBot": (0.93, 0.94)},
    "bar": {"CLIP": (0.56, 0.54), "DINO": (0.53, 0.37), "ZooBot": (0.82, 0.81)},
    "bulge-size": {"CLIP": (0.79, 0.78), "DINO": (0.81, 0.81), "ZooBot": (0.84, 0.84)},
    "how-rounded": {"CLIP": (0.74, 0.74), "DINO": (0.79, 0.79), "ZooBot": (0.93, 0.93)},
    "edge-on-bulge": {"CLIP": (0.82, 0.81), "DINO": (0.86, 0.84), "ZooBot": (0.91, 0.90)},
    "spiral-winding": {"CLIP": (0.74, 0.68), "DINO": (0.77, 0.73), "ZooBot": (0.78, 0.79)},
    "spiral-arm-count": {"CLIP": (0.44, 0.41), "DINO": (0.50, 0.47), "ZooBot": (0.77, 0.76)},
    "merging": {"CLIP": (0.80, 0.73), "DINO": (0.81, 0.71), "ZooBot": (0.88, 0.85)},
}


def main(results_dir: str) -> None:
    schema = VOTE_SCHEMAS.get("gz-decals-5")
    questions = [q.name for q in schema.questions]
    columns: dict[str, dict[str, dict[str, float]]] = {}
    for row in ResultsStore(results_dir).rows():
        if row.task_kind != "votes" or row.fraction != 1.0:
            continue
        per_question = {
            q: {"accuracy": row.metrics[f"{q}/accuracy"], "f1": row.metrics[f"{q}/f1"]}
            for q in questions
            if f"{q}/accuracy" in row.metrics
        }
        columns[f"{row.backbone} + {row.protocol}"] = per_question
        counts = {q: int(row.metrics.get(f"{q}/n", 0)) for q in questions}
    for paper in ("CLIP", "DINO", "ZooBot"):
        columns[f"{paper} (seed 003)"] = {
            q: {"accuracy": v[paper][0], "f1": v[paper][1]} for q, v in TABLE_E1.items()
        }
    print(morphology_table(columns, questions))
    print(f"\ntest galaxies scored per question: {counts}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/gz_votes")
