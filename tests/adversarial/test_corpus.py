"""The reliability rule on the adversarial corpus (docs/reliability.md), in-process and cheap.

Every case: exit code as expected (0 or 2, never 1), at most two lines on stderr, the expected
message, nothing written outside its outputs, no temporary file left.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.adversarial.cases import CORPUS, Case
from tests.adversarial.harness import check_rule, run_in_process, snapshot


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[pytest.mark.slow] if c.slow else []) for c in CORPUS],
    ids=lambda c: c.name,
)
def test_every_case_ends_in_one_line_and_exit_2(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTROBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "home" / "tmp"))
    (tmp_path / "home" / "tmp").mkdir(parents=True)
    argv = case.build(tmp_path)
    before = snapshot(tmp_path)
    outcome = run_in_process(argv, tmp_path)
    problems = check_rule(
        outcome, before, snapshot(tmp_path), ("home", *case.outputs), allowed_codes=(case.code,)
    )
    assert not problems, f"{case.name}: {problems}; stderr: {outcome.stderr!r}"
    assert case.says in outcome.stderr, outcome.stderr
    assert not (tmp_path / "PWNED").exists(), "hostile code ran"
