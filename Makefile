# The two commands: `make run` and `make test` (each installs what it needs first).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1
UV := $(shell command -v uv 2>/dev/null || echo $(PYTHON) -m uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev run test lint typecheck test-sqlite test-postgresql test-e2e docker-check lock bench clean

$(VENV)/.runtime: pyproject.toml requirements.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null || $(PYTHON) -m pip install -q uv
	$(UV) venv -q --allow-existing $(VENV)
	$(UV) pip sync -q --compile-bytecode --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.dev && touch $@

$(VENV)/.dev: pyproject.toml requirements-dev.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null || $(PYTHON) -m pip install -q uv
	$(UV) venv -q --allow-existing $(VENV)
	$(UV) pip sync -q --compile-bytecode --python $(BIN)/python --require-hashes requirements-dev.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.runtime && touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Bytecode: the dependencies' is compiled when they are installed (above), and the app's is
# written as it is first imported, even where the environment says not to (a start then takes
# a second less, and so does the first request that imports a large library).
run: export PYTHONDONTWRITEBYTECODE :=
# Links in messages are built from PORTION_PUBLIC_URL: on another port or host they must follow
# (one set in the environment is kept).
run: export PORTION_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(if $(wildcard $(VENV)/.dev),install-dev,install)
	$(BIN)/portion migrate
	$(BIN)/portion seed-demo --if-empty
	$(BIN)/portion serve --host $(HOST) --port $(PORT)

# Byte-code caching makes each pytest start seconds faster.
test: export PYTHONDONTWRITEBYTECODE :=
test: install-dev lint typecheck test-sqlite test-postgresql test-e2e

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports --no-cache

typecheck: install-dev
	$(BIN)/mypy app

test-sqlite: install-dev
	$(BIN)/pytest -q -m "not e2e" --db=sqlite

# PostgreSQL: a throwaway server from the installed binaries; required in CI.
test-postgresql: install-dev
	@if [ "$$CI" = "true" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(BIN)/pytest -q -m "not e2e" --db=postgresql; \
	else echo "PostgreSQL binaries not installed: skipping the PostgreSQL run (apt-get install postgresql)"; fi

# Browser tests run in their own pytest process (sync Playwright and asyncio tests don't mix).
test-e2e: install-dev
	@if [ "$$CI" = "true" ] || [ -x /usr/bin/chromium ]; then \
		$(BIN)/pytest -q -m e2e tests/e2e; \
	else echo "Chromium not installed: skipping the browser tests (apt-get install chromium)"; fi

# The image: built with podman on a local Debian base, run and checked as a deployment needs
# it (docker/check.py says what). Needs root and podman; skipped without podman outside CI.
docker-check:
	$(PYTHON) docker/check.py

lock:
	$(UV) pip compile pyproject.toml --generate-hashes -q -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes -q -o requirements-dev.lock

bench: install-dev
	$(BIN)/python bench/matching_engine.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
