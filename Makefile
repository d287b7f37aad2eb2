# Näkymä: `make run` starts the demo service, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint pytest install dev chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

## Set up, create the database, load the demo data and serve at http://127.0.0.1:8000
# The demo runs on its offline (synthetic) copies of the sources, so the scheduler that
# would fetch live Yle and Sotkanet data into it stays off; production leaves it on.
run: $(VENV)/.installed
	NAKYMA_DEMO=true $(BIN)/nakyma db upgrade
	NAKYMA_DEMO=true $(BIN)/nakyma demo
	NAKYMA_DEMO=true NAKYMA_SCHEDULER_ENABLED=false $(BIN)/nakyma serve

## Set up the dev tools and Debian's chromium, then run lint, types and the whole test suite
test: dev chromium lint pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collects no tests; make treats that as a failure.
pytest: dev
	$(BIN)/pytest

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
