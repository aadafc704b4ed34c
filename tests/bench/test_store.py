"""The results store: schema, one transaction per row, concurrent writers, WAL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from astrobench.bench.store import ResultRow, ResultsStore, predictions_relpath


def test_round_trip_keeps_every_field(tmp_path: Path, make_row: Callable[..., ResultRow]) -> None:
    store = ResultsStore(tmp_path)
    row = make_row(
        metrics={"accuracy": 0.75, "f1/spiral|bar": 0.5}, config={"nested": {"a": [1, 2]}}
    )
    store.insert(row)
    (back,) = ResultsStore(tmp_path).rows()
    assert back == row
    assert back.headline == 0.75
    assert store.finished_hashes() == {"h0"}
    assert store.integrity_check() == "ok"


def test_wal_mode_and_design_columns(tmp_path: Path) -> None:
    ResultsStore(tmp_path)
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {r[1] for r in connection.execute("PRAGMA table_info(results)")}
    for needed in (
        "config_hash",
        "suite",
        "dataset",
        "task",
        "backbone",
        "protocol",
        "fraction",
        "seed",
        "metrics",
        "intervals",
        "params_total",
        "params_trainable",
        "train_seconds",
        "eval_seconds",
        "throughput_per_second",
        "peak_ram_bytes",
        "peak_gpu_bytes",
        "energy_kwh",
        "co2_kg",
        "energy_method",
        "device",
        "library_versions",
        "git_sha",
        "config",
        "timestamp",
    ):
        assert needed in columns


def test_reinserting_a_cell_replaces_its_row(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    store = ResultsStore(tmp_path)
    store.insert(make_row(metrics={"accuracy": 0.1}))
    store.insert(make_row(metrics={"accuracy": 0.2}))
    assert [r.metrics["accuracy"] for r in store.rows()] == [0.2]


def _insert_all(folder: str, rows: list[ResultRow]) -> None:
    store = ResultsStore(folder)
    for row in rows:
        store.insert(row)


def test_concurrent_writers_lose_nothing(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    ResultsStore(tmp_path)
    batches = [
        [make_row(config_hash=f"w{w}-{i}", run_id=f"w{w}-{i}", seed=i) for i in range(20)]
        for w in range(4)
    ]
    with ProcessPoolExecutor(4, mp_context=get_context("spawn")) as pool:
        list(pool.map(_insert_all, [str(tmp_path)] * 4, batches))
    store = ResultsStore(tmp_path)
    assert len(store.rows()) == 80
    assert store.integrity_check() == "ok"


def test_rows_of_one_suite_leave_out_the_other_suite(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    store = ResultsStore(tmp_path)
    for suite in ("alpha", "beta"):
        for seed in (1, 0):
            store.insert(
                make_row(
                    config_hash=f"{suite}{seed}", run_id=f"{suite}{seed}", suite=suite, seed=seed
                )
            )
    assert [r.config_hash for r in store.rows("alpha")] == ["alpha0", "alpha1"]
    assert [r.config_hash for r in store.rows("beta")] == ["beta0", "beta1"]
    assert store.rows("gamma") == []
    assert len(store.rows()) == 4
    assert store.finished_hashes() == {"alpha0", "alpha1", "beta0", "beta1"}


def test_rows_are_ordered_by_cell_not_by_insertion(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    store = ResultsStore(tmp_path)
    cells = [("d2", "b", 1.0, 0), ("d1", "b", 1.0, 1), ("d1", "a", 0.1, 0), ("d1", "a", 1.0, 0)]
    for i, (dataset, backbone, fraction, seed) in enumerate(cells):
        store.insert(
            make_row(
                config_hash=f"h{i}",
                run_id=f"h{i}",
                dataset=dataset,
                backbone=backbone,
                fraction=fraction,
                seed=seed,
            )
        )
    order = [(r.dataset, r.backbone, r.fraction, r.seed) for r in store.rows()]
    assert order == sorted(cells)


def test_a_failed_insert_leaves_no_row(tmp_path: Path, make_row: Callable[..., ResultRow]) -> None:
    store = ResultsStore(tmp_path)
    bad = make_row(config={"not json": object()})
    with pytest.raises(TypeError, match="not JSON serializable"):
        store.insert(bad)
    store.insert(make_row(config_hash="ok", run_id="ok"))
    assert [r.config_hash for r in store.rows()] == ["ok"]
    assert store.predictions_file(store.rows()[0]) == tmp_path / "predictions/h0.npz"


def test_predictions_live_in_the_predictions_folder() -> None:
    assert predictions_relpath("abc") == "predictions/abc.npz"


def test_an_insert_failing_inside_its_transaction_is_rolled_back(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    store = ResultsStore(tmp_path)
    store.insert(make_row(config_hash="kept", run_id="kept"))
    with pytest.raises(
        sqlite3.IntegrityError, match=r"NOT NULL constraint failed: results\.dataset"
    ):
        store.insert(make_row(config_hash="bad", run_id="bad", dataset=None))
    store.insert(make_row(config_hash="after", run_id="after"))  # the database is not locked
    assert sorted(r.config_hash for r in store.rows()) == ["after", "kept"]


def test_column_types_follow_the_field_kinds(tmp_path: Path) -> None:
    """Numbers are stored as numbers (a TEXT fraction would come back as '1.0')."""
    from astrobench.bench.store import _sql_type

    expected = {"fraction": "REAL", "seed": "INTEGER", "higher_is_better": "INTEGER",
                "train_seconds": "REAL", "energy_kwh": "REAL", "co2_kg": "REAL",
                "throughput_per_second": "REAL", "params_total": "INTEGER",
                "peak_ram_bytes": "INTEGER", "n_test": "INTEGER", "suite": "TEXT",
                "metrics": "TEXT", "config_hash": "TEXT"}  # fmt: skip
    assert {name: _sql_type(name) for name in expected} == expected
    ResultsStore(tmp_path)
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        declared = {r[1]: r[2] for r in connection.execute("PRAGMA table_info(results)")}
    assert {name: declared[name] for name in expected} == expected


def test_store_errors_are_sorted_into_user_errors_and_our_bugs(tmp_path: Path) -> None:
    """`_store_error`: full disk and read-only folder are storage errors, a damaged file is one
    line naming it, and a lock timeout or a bad statement stay the original (our bug)."""
    from astrobench.bench.store import _store_error
    from astrobench.errors import CorruptDataError, StorageError

    path = tmp_path / "out" / "results.sqlite"
    full = _store_error(path, sqlite3.OperationalError("database or disk is full"))
    assert isinstance(full, StorageError) and f"disk full writing into {path.parent}" in str(full)
    read_only = _store_error(path, sqlite3.OperationalError("attempt to write a readonly database"))
    assert isinstance(read_only, StorageError)
    assert f"cannot write into {path.parent}: read-only" in str(read_only)
    locked = sqlite3.OperationalError("database is locked")
    assert _store_error(path, locked) is locked
    for bug in (
        sqlite3.IntegrityError("UNIQUE constraint failed"),
        sqlite3.ProgrammingError("Incorrect number of bindings"),
        sqlite3.InterfaceError("Error binding parameter 1"),
    ):
        assert _store_error(path, bug) is bug
    damaged = _store_error(path, sqlite3.DatabaseError("file is not\n  a   database " + "x" * 100))
    assert isinstance(damaged, CorruptDataError)
    message = f"{path} is not a usable results database (file is not a database {'x' * 57})"
    assert damaged.message == message
    assert damaged.hint == "move the damaged file away; re-running the suite rebuilds it"
    other = _store_error(path, sqlite3.OperationalError("malformed database schema (x)"))
    assert isinstance(other, CorruptDataError)


def test_a_store_in_a_new_nested_folder_is_created_and_json_columns_are_key_sorted(
    tmp_path: Path, make_row: Callable[..., ResultRow]
) -> None:
    folder = tmp_path / "a" / "b" / "c"
    store = ResultsStore(folder)
    store.insert(make_row(metrics={"zeta": 1.0, "accuracy": 0.5, "f1": 0.25}))
    (metrics,) = sqlite3.connect(folder / "results.sqlite").execute("SELECT metrics FROM results")
    keys = list(json.loads(metrics[0]))
    assert keys == sorted(keys) and len(keys) > 1
    assert metrics[0] == json.dumps(json.loads(metrics[0]), sort_keys=True)
