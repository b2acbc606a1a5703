# Every target creates .venv on first use, so a fresh clone needs nothing but `make run` or `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCKS := requirements/build.txt requirements/main.txt requirements/dev.txt

# `make lock` resolves from PyPI alone, with no pip or uv configuration of this machine (extra
# indexes, find-links, constraints), so that the lock files hold what any machine can install.
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest release pyproject.toml allows.
LOCK_INDEX ?= https://pypi.org/simple
LOCK_FLAGS ?=
COMPILE = $(BIN)/uv pip compile --quiet --no-config --default-index $(LOCK_INDEX) \
	--generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock" \
	$(LOCK_FLAGS)

.PHONY: run test lint typecheck bench clean lock tools

# Installs exactly the locked versions, each checked against its hashes; then the project itself.
$(STAMP): pyproject.toml $(LOCKS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/build.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

lock: $(STAMP)
	$(BIN)/python -c 'import tomllib; print("pip", *tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(COMPILE) - --output-file requirements/build.txt
	$(COMPILE) pyproject.toml --output-file requirements/main.txt
	$(COMPILE) pyproject.toml --extra dev --constraint requirements/main.txt \
		--output-file requirements/dev.txt

run: $(STAMP)
	OKRGRAPH_AUTH=disabled $(BIN)/okrgraph serve --demo  # loopback only: see README, Security

# redis-server, Node.js with npm, and Chromium: found, or installed, or named in one line each.
tools:
	.ci/tools

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: tools lint
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered -m "not slow" -p no:cacheprovider --ignore=tests/bench
	$(BIN)/python -m pytest -m slow -p no:cacheprovider --no-cov --ignore=tests/bench

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider --no-cov -s

clean:
	rm -rf $(VENV) .okrgraph-data .mypy_cache .ruff_cache .pytest_cache
