# Every target creates .venv on first use, so a fresh clone needs nothing but `make run` or `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	OKRGRAPH_AUTH=disabled $(BIN)/okrgraph serve --demo  # loopback only: see README, Security

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered -m "not slow" -p no:cacheprovider --ignore=tests/bench
	$(BIN)/python -m pytest -m slow -p no:cacheprovider --no-cov --ignore=tests/bench

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider --no-cov -s

clean:
	rm -rf $(VENV) .okrgraph-data .mypy_cache .ruff_cache .pytest_cache
