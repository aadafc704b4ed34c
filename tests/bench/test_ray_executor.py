"""`--executor ray`: the same rows as the local executor; a one-line error when ray is missing."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

from astrobench.bench import runner
from astrobench.bench.cell import CellJob, CellOutcome
from astrobench.bench.runner import bench
from astrobench.bench.store import ResultsStore
from astrobench.errors import ConfigError


@pytest.fixture(scope="module")
def tiny_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 protocols x 1 fraction x 2 seeds suite on 48 cutouts of 16 x 16 pixels."""
    from astrobench.data.cutout_writer import write_cutouts

    folder = tmp_path_factory.mktemp("ray")
    rng = np.random.default_rng(0)
    n = 48
    labels = np.arange(n) % 3
    images = rng.normal(0, 1, (n, 5, 16, 16)).astype(np.float32)
    images[:, :, 6:10, 6:10] += labels[:, None, None, None] + 1.0
    catalog = {"label": labels, "object_id": np.arange(n)}
    data = folder / "small.h5"
    write_cutouts(data, images, catalog, bands=list("ugriz"), pixel_scale_arcsec=0.4)
    suite = {
        "name": "tiny_ray",
        "datasets": {"small": {"path": str(data), "targets": ["label"]}},
        "backbones": ["vit_tiny_p8"],
        "protocols": [
            "knn",
            {"name": "linear", "settings": {"c_grid": [1.0], "max_iter": 20}},
        ],
        "fractions": [1.0],
        "seeds": [0, 1],
        "n_boot": 20,
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def _table(folder: Path) -> dict[str, tuple]:
    return {
        r.config_hash: (r.protocol, r.task, r.fraction, r.seed, r.metrics, r.intervals, r.n_test)
        for r in ResultsStore(folder).rows()
    }


def test_ray_executor_matches_local_and_skips_finished_cells(
    tiny_suite: Path, tmp_path: Path
) -> None:
    ray = pytest.importorskip("ray")
    local = bench(tiny_suite, tmp_path / "local", progress=False, maps=False)
    assert local.ok and local.n_run == 4
    on_ray = bench(
        tiny_suite, tmp_path / "ray", workers=2, executor="ray", progress=False, maps=False
    )
    assert on_ray.ok and on_ray.n_run == 4, on_ray.failures
    assert not ray.is_initialized(), "the local ray the run started is shut down"
    for row in ResultsStore(tmp_path / "ray").rows():
        assert (tmp_path / "ray" / row.predictions_path).is_file()
    assert _table(tmp_path / "ray") == _table(tmp_path / "local")
    again = bench(tiny_suite, tmp_path / "ray", executor="ray", progress=False, maps=False)
    assert again.n_run == 0 and again.n_skipped == 4
    assert _table(tmp_path / "ray") == _table(tmp_path / "local")


def test_a_crashed_ray_worker_fails_its_cell_not_the_grid(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    from astrobench.bench.suite import expand_grid, load_suite

    def crash_on_seed_1(job: CellJob) -> CellOutcome:
        if job.cell.seed == 1:
            os._exit(1)  # the worker process dies, as when the OOM killer strikes
        return CellOutcome(job.cell.config_hash, True)

    monkeypatch.setattr(runner, "run_cell", crash_on_seed_1)
    suite = load_suite(tiny_suite)
    jobs = [CellJob(c, Path("x"), "b", tmp_path, 0, suite.cost) for c in expand_grid(suite)]
    outcomes = list(runner._execute_ray(jobs, workers=2))
    assert [o.ok for o in outcomes] == [c.seed == 0 for c in expand_grid(suite)]
    assert all(o.message.startswith("ray: ") for o in outcomes if not o.ok)


def test_missing_ray_is_one_line_and_writes_nothing(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="needs ray"):
        bench(tiny_suite, out, executor="ray", progress=False)
    code, _, err = run_cli("bench", tiny_suite, "--out", out, "--executor", "ray")
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "needs ray" in err and "pip install 'astrobench[ray]'" in err
    assert not out.exists(), "nothing is written before the executor is known to work"


def _crash_on_seed_1(job: CellJob) -> CellOutcome:
    """Module level, so a spawned worker process can import it."""
    if job.cell.seed == 1:
        os._exit(1)  # the worker process dies, as when the OOM killer strikes
    return CellOutcome(job.cell.config_hash, True)


def test_a_dead_local_worker_fails_cells_not_the_grid(tiny_suite: Path, tmp_path: Path) -> None:
    """Local pool: a worker that dies breaks the pool; the run still ends with an outcome for
    every cell (failed ones are retried by a re-run) instead of stopping with a traceback."""
    from astrobench.bench.suite import expand_grid, load_suite

    suite = load_suite(tiny_suite)
    cells = expand_grid(suite)
    jobs = [CellJob(c, Path("x"), "b", tmp_path, 0, suite.cost) for c in cells]
    outcomes = list(runner._execute_pool(jobs, workers=2, cell_fn=_crash_on_seed_1))
    assert len(outcomes) == len(cells)
    assert not any(o.ok for o, c in zip(outcomes, cells, strict=True) if c.seed == 1)
    assert all("worker process died" in o.message for o in outcomes if not o.ok)


class FakeRayError(Exception):
    """Stands in for ray.exceptions.RayError."""


class _FakeRef:
    def __init__(self, fn, args) -> None:  # type: ignore[no-untyped-def]
        self.fn, self.args = fn, args


def _fake_ray(monkeypatch: pytest.MonkeyPatch, initialized: bool = False):  # type: ignore[no-untyped-def]
    """A `ray` module with the calls the executor makes: init, is_initialized, remote(...)(fn),
    fn.remote(job) -> ref, get(ref) (raising a RayError subclass when the task died), shutdown.
    Tasks run lazily in this process, at get(), as ray runs them elsewhere."""
    calls: list[tuple[str, object]] = []
    state = {"initialized": initialized}
    module = types.ModuleType("ray")
    module.exceptions = types.SimpleNamespace(RayError=FakeRayError)  # type: ignore[attr-defined]

    def init(**kwargs: object) -> None:
        calls.append(("init", kwargs))
        state["initialized"] = True

    def shutdown() -> None:
        calls.append(("shutdown", None))
        state["initialized"] = False

    def remote(**options: object):  # type: ignore[no-untyped-def]
        calls.append(("remote", options))

        def wrap(fn):  # type: ignore[no-untyped-def]
            return types.SimpleNamespace(remote=lambda *args: _FakeRef(fn, args))

        return wrap

    def get(ref: _FakeRef) -> object:
        calls.append(("get", ref.args[0].cell.seed))
        return ref.fn(*ref.args)

    module.init = init  # type: ignore[attr-defined]
    module.shutdown = shutdown  # type: ignore[attr-defined]
    module.is_initialized = lambda: state["initialized"]  # type: ignore[attr-defined]
    module.remote = remote  # type: ignore[attr-defined]
    module.get = get  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray", module)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return module, calls


def _jobs(tiny_suite: Path, tmp_path: Path) -> list[CellJob]:
    from astrobench.bench.suite import expand_grid, load_suite

    suite = load_suite(tiny_suite)
    return [CellJob(c, Path("x"), "b", tmp_path, 0, suite.cost) for c in expand_grid(suite)]


def _ok_unless_seed_1(job: CellJob) -> CellOutcome:
    if job.cell.seed == 1:
        raise FakeRayError("worker died\nmore detail")
    return CellOutcome(job.cell.config_hash, True, "fine")


def test_ray_executor_with_a_fake_ray_starts_runs_and_shuts_down(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exercised in every run (ray itself is an optional extra): one task of 1 CPU per cell,
    results in job order, a task ray failed becomes a failed cell, a ray started here stops."""
    _, calls = _fake_ray(monkeypatch)
    monkeypatch.setattr(runner, "run_cell", _ok_unless_seed_1)
    jobs = _jobs(tiny_suite, tmp_path)
    outcomes = list(runner._execute(jobs, workers=3, executor="ray"))
    assert [o.config_hash for o in outcomes] == [j.cell.config_hash for j in jobs]
    assert [o.ok for o in outcomes] == [j.cell.seed == 0 for j in jobs]
    assert {o.message for o in outcomes if not o.ok} == {"ray: FakeRayError: worker died"}
    assert calls[0][0] == "init" and calls[0][1]["num_cpus"] == 3  # type: ignore[index]
    assert calls[1] == ("remote", {"num_cpus": 1})
    assert [c[1] for c in calls if c[0] == "get"] == [j.cell.seed for j in jobs]
    assert calls[-1] == ("shutdown", None)


def test_ray_executor_joins_a_running_ray_and_leaves_it_running(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, calls = _fake_ray(monkeypatch, initialized=True)
    monkeypatch.setattr(runner, "run_cell", lambda job: CellOutcome(job.cell.config_hash, True))
    outcomes = list(runner._execute_ray(_jobs(tiny_suite, tmp_path), workers=2))
    assert all(o.ok for o in outcomes) and len(outcomes) == 4
    assert [c[0] for c in calls if c[0] in ("init", "shutdown")] == []
    assert module.is_initialized()


def test_under_ray_address_the_cluster_sets_the_cpus(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, calls = _fake_ray(monkeypatch)
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    monkeypatch.setattr(runner, "run_cell", lambda job: CellOutcome(job.cell.config_hash, True))
    list(runner._execute_ray(_jobs(tiny_suite, tmp_path), workers=2))
    assert calls[0][0] == "init" and calls[0][1]["num_cpus"] is None  # type: ignore[index]


@pytest.mark.slow
def test_bench_with_a_fake_ray_stores_the_same_rows_as_local(
    tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole `bench --executor ray` path, with ray's tasks run by the fake in-process."""
    local = bench(tiny_suite, tmp_path / "local", progress=False, maps=False)
    _, calls = _fake_ray(monkeypatch)
    on_ray = bench(tiny_suite, tmp_path / "ray", executor="ray", progress=False, maps=False)
    assert on_ray.ok and on_ray.n_run == 4 and local.n_run == 4
    assert _table(tmp_path / "ray") == _table(tmp_path / "local")
    assert calls[-1] == ("shutdown", None)
