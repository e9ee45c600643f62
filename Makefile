# qiloop's one task runner. CI (.ci/run) uses these same verbs.
#   make demo       the main job: the workbench on 127.0.0.1:8000 with a measured synthetic demo network
#   make test       the whole test suite: lint, type check, pytest (SQLite), then the
#                   workbench tests again on a real PostgreSQL server (scripts/postgres-for-tests)
#   make lint       ruff check + ruff format --check
#   make typecheck  mypy on the library
#   make bench      every benchmark at its default size
#   make format     ruff format + ruff check --fix
#   make docs       regenerate docs/cli.md from --help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test pytest pytest-postgres lint typecheck bench format docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the workbench's front-end assets were not installed (apt-get install nodejs npm)"; fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m qiloop_web start

test: lint typecheck pytest pytest-postgres

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

pytest-postgres: $(STAMP)
	@url=$$(scripts/postgres-for-tests); \
	if [ -n "$$url" ]; then DATABASE_URL="$$url" $(BIN)/python -m pytest tests/web -q $(PYTEST_ARGS); \
	else echo "PostgreSQL not available here: workbench tests ran on SQLite only"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/qiloop bench synth
	$(BIN)/qiloop bench spc
	$(BIN)/qiloop bench measures
	$(BIN)/qiloop bench import --from fhir
	$(BIN)/qiloop bench web

docs: $(STAMP)
	$(BIN)/python -m qiloop.clidocs > docs/cli.md

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
