# Näkymä: `make run` starts the demo service, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint pytest install dev chromium voikko oidc-provider clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(VENV)/.installed

install: voikko $(VENV)/.installed
dev: voikko $(VENV)/.installed-dev

## Set up, create the database, load the demo data and serve at http://127.0.0.1:8000
# The demo runs on its offline (synthetic) copies of the sources, so the scheduler that
# would fetch live Yle and Sotkanet data into it stays off; production leaves it on.
run: voikko $(VENV)/.installed
	NAKYMA_DEMO=true $(BIN)/nakyma db upgrade
	NAKYMA_DEMO=true $(BIN)/nakyma demo
	NAKYMA_DEMO=true NAKYMA_SCHEDULER_ENABLED=false $(BIN)/nakyma serve

## Set up the dev tools, Debian's chromium, Voikko and the test OpenID provider, then run lint, types and the whole test suite
test: dev chromium voikko oidc-provider lint pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collects no tests; make treats that as a failure.
pytest: dev voikko
	$(BIN)/pytest

# The single sign-on tests run a real OpenID provider (panva's oidc-provider, pinned in
# tests/oidc/package-lock.json) with Node.js; they skip only where Node.js is missing.
oidc-provider: tests/oidc/node_modules/.package-lock.json

tests/oidc/node_modules/.package-lock.json: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/oidc --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the single sign-on tests will be skipped"; \
	fi

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

# The Finnish model's lemmatiser (privacy guard: person names) needs Debian's Voikko library
# and its Finnish dictionary; the Python bindings come from PyPI with the model.
voikko:
	@if [ "$$(dpkg-query -W -f='$${Status}\n' libvoikko1 voikko-fi 2>/dev/null | grep -c 'ok installed')" != 2 ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvoikko1 voikko-fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/oidc/node_modules
