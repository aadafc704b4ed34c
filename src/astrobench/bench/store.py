"""The results store: DIR/results.sqlite (WAL), one row per evaluated cell, keyed by config hash.

Each row is inserted in one transaction, after its predictions file is on disk, so a killed run
leaves either a complete row (with its predictions) or nothing for that cell. Several processes
may insert at once: SQLite serialises writers, and a busy timeout makes them wait their turn.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

RESULTS_FILE = "results.sqlite"
PREDICTIONS_DIR = "predictions"
_BUSY_TIMEOUT_SECONDS = 120.0
_JSON_COLUMNS = ("metrics", "intervals", "library_versions", "config", "extra")


@dataclass
class ResultRow:
    """One evaluated cell: what was run, its scores, its predictions file, and what it cost."""

    config_hash: str
    run_id: str
    suite: str
    dataset: str
    task: str
    task_kind: str
    backbone: str
    protocol: str
    fraction: float
    seed: int
    headline_metric: str
    higher_is_better: bool
    metrics: dict[str, float]
    intervals: dict[str, list[float]]  # metric -> [low, high], 95 % bootstrap over test objects
    params_total: int
    params_trainable: int
    train_seconds: float
    eval_seconds: float
    throughput_per_second: float
    peak_ram_bytes: int
    peak_gpu_bytes: int
    energy_kwh: float
    co2_kg: float
    energy_method: str  # "measured" (codecarbon) or "estimated" (time x stated power)
    device: str
    library_versions: dict[str, str]
    git_sha: str
    config: dict[str, Any]
    predictions_path: str  # relative to the results folder
    n_train: int = 0
    n_test: int = 0
    timestamp: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> float:
        """The value of the task's headline metric."""
        return float(self.metrics[self.headline_metric])


def _sql_type(name: str) -> str:
    kinds = {"fraction": "REAL", "seed": "INTEGER", "higher_is_better": "INTEGER"}
    if name in kinds:
        return kinds[name]
    if name.endswith(("_seconds", "_kwh", "_kg", "_per_second")):
        return "REAL"
    if name.startswith(("params_", "peak_", "n_")):
        return "INTEGER"
    return "TEXT"


_COLUMNS = [f.name for f in fields(ResultRow)]
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS results (\n  "
    + ",\n  ".join(
        f"{name} {_sql_type(name)}{' PRIMARY KEY' if name == 'config_hash' else ' NOT NULL'}"
        for name in _COLUMNS
    )
    + "\n)"
)


class ResultsStore:
    """Rows of one results folder. Open, insert or read; every call uses its own connection."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / RESULTS_FILE
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            with closing(connection):
                connection.execute("PRAGMA synchronous=FULL")
                yield connection
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from exc

    def insert(self, row: ResultRow) -> None:
        """Insert (or replace) one row in a single transaction."""
        record = asdict(row)
        values = [
            json.dumps(record[c], sort_keys=True) if c in _JSON_COLUMNS else record[c]
            for c in _COLUMNS
        ]
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(
                    f"INSERT OR REPLACE INTO results ({', '.join(_COLUMNS)}) VALUES ({marks})",
                    values,
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def finished_hashes(self) -> set[str]:
        """Config hashes of every stored row."""
        with self._connect() as connection:
            return {h for (h,) in connection.execute("SELECT config_hash FROM results")}

    def rows(self, suite: str | None = None) -> list[ResultRow]:
        """All rows (of one suite when given), in insertion-independent order."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM results"
        params: tuple[Any, ...] = ()
        if suite is not None:
            query += " WHERE suite = ?"
            params = (suite,)
        query += " ORDER BY dataset, task, backbone, protocol, fraction, seed"
        with self._connect() as connection:
            records = connection.execute(query, params).fetchall()
        return [_row_from_record(dict(zip(_COLUMNS, r, strict=True))) for r in records]

    def integrity_check(self) -> str:
        """SQLite's own verdict on the file ('ok' when sound)."""
        with self._connect() as connection:
            return str(connection.execute("PRAGMA integrity_check").fetchone()[0])

    def predictions_file(self, row: ResultRow) -> Path:
        """Absolute path of a row's predictions .npz."""
        return self.folder / row.predictions_path


def _row_from_record(record: dict[str, Any]) -> ResultRow:
    for column in _JSON_COLUMNS:
        record[column] = json.loads(record[column])
    record["higher_is_better"] = bool(record["higher_is_better"])
    return ResultRow(**record)


def predictions_relpath(run_id: str) -> str:
    """Where a cell's predictions live, relative to the results folder."""
    return f"{PREDICTIONS_DIR}/{run_id}.npz"


def _store_error(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """A one-line user error for a full disk, a read-only folder or a damaged results file."""
    from astrobench.disk import storage_error, storage_failure
    from astrobench.errors import CorruptDataError

    if storage_failure(exc) is not None:
        return storage_error(exc, path.parent)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return exc  # busy past the timeout: a real concurrency bug, not a user error
    return CorruptDataError(
        f"{path} is not a usable results database ({' '.join(str(exc).split())[:80]})",
        "move the damaged file away; re-running the suite rebuilds it",
    )
