"""The report's AstroCLIP parts: the property table (single and multi-output rows, modality),
maps coloured by class and properties, neighbour grids; catalog and suite strings escaped."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tests.report.conftest import CLASS_NAMES, EVIL, _row, _save

from astrobench.bench.aggregate import summarise
from astrobench.bench.store import ResultsStore
from astrobench.report.build import report
from astrobench.report.embedding_section import load_property_maps, property_map_figure
from astrobench.report.property_section import property_tables

PNG = b"\x89PNG\r\n\x1a\n"


def _property_row(key: str, task: str, backbone: str, protocol: str, metrics: dict, extra: dict):
    row = _row(key, task, backbone, protocol, 1.0, 0, {"sigma_nmad": 0.1, **metrics}, "photoz")
    return dataclasses.replace(row, extra={"wall_seconds": 1.0, **extra})


def _rows() -> list:
    image = {"embedding": {"modality": "image"}}
    return [
        _property_row("a", "redshift", "mae", "knn_distance", {"r2": 0.31}, image),
        _property_row("b", "log_ssfr", "mae", "knn_distance", {"r2": 0.52}, image),
        _property_row(
            "c",
            "redshift,log_ssfr",
            "spec",
            "supervised",
            {"redshift/r2": 0.83, "log_ssfr/r2": 0.64, "r2": 0.735},
            {"modality": "spectrum"},
        ),
    ]


def test_the_property_table_puts_each_column_of_every_model_in_its_place() -> None:
    (table,) = property_tables(summarise(_rows()))
    assert table.columns == ["backbone", "protocol", "modality", "redshift", "log_ssfr"]
    by_model = {(r["backbone"], r["protocol"]): r for r in table.rows}
    assert by_model[("spec", "supervised")]["redshift"] == "0.830"  # not the mean r2 0.735
    assert by_model[("spec", "supervised")]["log_ssfr"] == "0.640"
    assert by_model[("spec", "supervised")]["modality"] == "spectrum"
    assert by_model[("mae", "knn_distance")] == {
        "backbone": "mae", "protocol": "knn_distance", "modality": "image",
        "redshift": "0.310", "log_ssfr": "0.520",
    }  # fmt: skip


def test_one_property_alone_makes_no_table() -> None:
    assert property_tables(summarise(_rows()[:1])) == []


def _map(folder: Path, backbone: str, indices: np.ndarray, rng: np.random.Generator) -> None:
    meta = {
        "dataset": "survey",
        "backbone": backbone,
        "method": "UMAP of 10 PCs",
        "names": CLASS_NAMES,
    }
    np.savez(
        folder / "maps" / f"survey__{abs(hash(backbone))}.npz",
        xy=rng.normal(size=(len(indices), 2)),
        colour=rng.integers(0, 3, len(indices)),
        indices=indices,
        meta=np.array(json.dumps(meta)),
        column_redshift=rng.uniform(0, 0.4, len(indices)),
        column_log_ssfr=rng.uniform(-12, -9, len(indices)),
    )


def test_maps_with_properties_are_one_figure_in_suite_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    (tmp_path / "maps").mkdir()
    for backbone in ("spec", "mae"):
        _map(tmp_path, backbone, np.arange(30), rng)
    found = load_property_maps(tmp_path, ["mae", "spec"])
    assert [m["backbone"] for m in found["survey"]] == ["mae", "spec"]
    assert set(found["survey"][0]["columns"]) == {"redshift", "log_ssfr"}
    caption, png = property_map_figure("survey", found["survey"])
    assert png.startswith(PNG) and "UMAP of 10 PCs" in caption and "30 objects" in caption


@pytest.fixture
def astroclip_results(tmp_path: Path) -> Path:
    store = ResultsStore(tmp_path)
    rng = np.random.default_rng(1)
    for row in _rows():
        row = dataclasses.replace(row, backbone=f"{row.backbone}{EVIL}")
        z = rng.uniform(0.02, 0.4, 40)
        _save(tmp_path, row.config_hash, {"y_true": z, "y_pred": z + 0.01})
        store.insert(row)
    (tmp_path / "maps").mkdir()
    for backbone in (f"mae{EVIL}", f"spec{EVIL}"):
        _map(tmp_path, backbone, np.arange(30), rng)
    (tmp_path / "grids").mkdir()
    meta = {"dataset": "survey", "backbone": f"pair{EVIL}", "query": "spectrum"}
    (tmp_path / "grids" / "survey__1.json").write_text(json.dumps(meta))
    from astrobench.report.figures import plt, to_png

    (tmp_path / "grids" / "survey__1.png").write_bytes(to_png(plt.figure()))
    (tmp_path / "grids" / "survey__2.json").write_text(json.dumps(meta))  # no PNG: unfinished
    return tmp_path


def test_the_report_shows_the_table_grids_and_maps_escaped(astroclip_results: Path) -> None:
    files = report(astroclip_results)
    html = files.html.read_text()
    markdown = files.markdown.read_text()
    assert EVIL not in html and EVIL not in markdown
    assert "&lt;script&gt;" in html
    assert "properties from every model" in markdown and "| 0.830 |" in markdown
    assert markdown.count("figures/grid_survey__1.png") == 1  # the unfinished grid is left out
    names = {path.name for path in files.figures}
    assert {"property_maps_survey.png", "grid_survey__1.png"} <= names
