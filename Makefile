# One command per chore. Each target creates or reuses the virtualenv in $(VENV).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint format bench demo golden fixtures clean

$(RUN_STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## run: launch the dashboard (on the demo project when no W&B credentials are set)
run: $(RUN_STAMP)
	$(BIN)/wbview app

## lint: style (ruff), types (mypy) and the architecture contract (import-linter)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## format: apply ruff's fixes and formatting
format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## test: lint, then every test, browser tests included
test: $(DEV_STAMP) lint
	$(BIN)/python -m pytest -q -rs

## bench: benchmarks, ours against the baseline, one line per comparison
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

## demo: (re)build the demo store
demo: $(RUN_STAMP)
	$(BIN)/wbview demo --store .wbview-demo --force

## golden: record the CLI's and the pages' outputs on the demo (tests/golden/*.json) after an intended change
golden: $(RUN_STAMP)
	$(BIN)/python -m tests.golden.record

## fixtures: re-record what real wandb writes for each table shape (tests/realwandb/recorded)
fixtures: $(DEV_STAMP)
	$(BIN)/python -m tests.realwandb.record
	$(BIN)/python -m tests.realwandb.record_evaltable

clean:
	rm -rf $(VENV) .wbview-demo test-artifacts .pytest_cache
