# qiloop's one task runner. CI (.ci/run) uses these same verbs.
#   make demo       the main job: synthetic demo network -> import -> quality summary
#   make test       the whole test suite: lint, type check, pytest
#   make lint       ruff check + ruff format --check
#   make typecheck  mypy on the library
#   make bench      every benchmark at its default size
#   make format     ruff format + ruff check --fix
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test pytest lint typecheck bench format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/qiloop demo

test: lint typecheck pytest

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/qiloop bench synth
	$(BIN)/qiloop bench spc
	$(BIN)/qiloop bench measures

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
