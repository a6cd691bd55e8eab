# Every target builds its own virtual environment first; nothing needs installing by hand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv demo test lint typecheck cfn-lint asl-lint pytest bench soak local clean

help:
	@echo "make demo      run the lead handoff end to end on the local runtime"
	@echo "make test      ruff, mypy, cfn-lint, ASL lint and the whole pytest suite"
	@echo "make local     serve template.yaml on http://127.0.0.1:3000 (Ctrl-C to stop)"
	@echo "make bench     the benchmark suite"
	@echo "make soak      the long reliability runs (10,000 events through the local runtime)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/leadflow demo

local: $(STAMP)
	$(BIN)/leadflow local

test: lint typecheck cfn-lint asl-lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

asl-lint: $(STAMP)
	$(BIN)/python scripts/lint_asl.py

pytest: $(STAMP)
	$(BIN)/pytest -n 2

soak: $(STAMP)
	$(BIN)/pytest -m soak -s -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
