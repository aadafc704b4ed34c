# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install clean mutation

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip setuptools wheel >/dev/null
	# This workplace ships torch 2.14.1 + torchvision 0.29.1 wheels on local disk (a CUDA build that
	# also runs on CPU); elsewhere fall back to whatever the registry offers.
	$(BIN)/pip install torch==2.14.1 torchvision==0.29.1 || $(BIN)/pip install torch torchvision
	$(BIN)/pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/astrobench demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

# Branch coverage of the package; the floor is the measured level rounded down (docs/testing.md),
# so it can only go up.
COVERAGE_FLOOR := 92
unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" --cov=astrobench --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

test: lint typecheck unit

# Mutation testing of the core (not part of `make test`; hours on a busy 2-core machine).
# Summary per module in mutants/summary.md; figures and surviving mutants in docs/testing.md.
mutation: $(STAMP)
	$(BIN)/python tools/mutation.py --mutmut $(BIN)/mutmut $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
