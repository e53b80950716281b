# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
# make docs-serve: the docs beside a `make run` on 8000.
DOCS_PORT ?= 8001
# The e2e suite runs without the async plugins (see e2e/conftest.py).
E2E_FLAGS := -p no:django -p no:asyncio -W ignore::pytest.PytestConfigWarning

.PHONY: help run admin test test-unit test-e2e lint format docs docs-check docs-serve screenshots system-deps bench requirements clean

help:
	@echo "make run    - install, migrate and serve http://$(HOST):$(PORT) (HOST=0.0.0.0: the local network too)"
	@echo "make test   - install what is missing, run the linters, then the whole suite (e2e included)"
	@echo "make lint   - the linters and format checks make test runs first (ruff, djlint, djhtml, ESLint, Prettier)"
	@echo "make format - rewrite the tree the way make lint wants it (imports, formatting, template indentation)"
	@echo "make admin  - create a staff account for /admin/"
	@echo "make docs   - build the documentation site into site/ (make docs-serve: live at http://127.0.0.1:$(DOCS_PORT))"
	@echo "make bench  - fan-out benchmark against the Channels tutorial design"
	@echo "make screenshots - refresh docs/screenshots/ (room list and a busy room: desktop, phone, dark; search results; reactions and replies; a room with images; a direct message; a message's actions on a phone)"

# The venv is rebuilt when the pinned requirements change.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	@set -e; if [ ! -x $(PY) ]; then \
	  py=$$(scripts/find-python); \
	  echo "Creating $(VENV) with $$py"; \
	  $$py -m venv $(VENV); \
	fi
	$(PIP) install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $@

# A local trial (project/trial.py): local.env (DEBUG on, a SECRET_KEY of its
# own, the addresses it serves), migrations and the lobby, then the server
# with the task worker until Ctrl+C. HOST=0.0.0.0 serves the local network.
# Live updates from the worker go through a private redis-server when there
# is one (REDIS_SERVER= runs without it: the server runs the tasks itself).
REDIS_SERVER ?= redis-server

run: $(VENV)/.installed
	@$(PY) -m project.trial serve --host '$(HOST)' --port '$(PORT)' --redis-server '$(REDIS_SERVER)'

# createsuperuser with the trial's settings (local.env, written if missing).
admin: $(VENV)/.installed
	@$(PY) -m project.trial prepare
	$(PY) manage.py createsuperuser

# Chromium and redis-server come from the system; install them when missing.
system-deps:
	@scripts/system-deps

# The documentation site (mkdocs.yml, docs/), built strictly: a broken link,
# anchor or image, or a page left out of the nav, fails.
docs: $(VENV)/.installed
	$(PY) -m mkdocs build --strict

# The same build into a directory thrown away after, for `make test`: it
# leaves site/ as it was. Not --quiet: mkdocs then drops the warnings that
# --strict counts, and a broken link passes. The theme's end-of-life notice
# is for whoever picks the tools, not for every test run.
docs-check: $(VENV)/.installed
	@set -e; out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir "$$out"

docs-serve: $(VENV)/.installed
	$(PY) -m mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

# The linters and docs first, cheapest. Async unit tests and Playwright
# fight over the event loop in one process: they run as two pytest invocations.
test: $(VENV)/.installed system-deps lint docs-check
	$(PY) -m pytest
	$(PY) -m pytest e2e $(E2E_FLAGS)

test-unit: $(VENV)/.installed
	$(PY) -m pytest

test-e2e: $(VENV)/.installed system-deps
	$(PY) -m pytest e2e $(E2E_FLAGS)

# The JavaScript tools (package.json), pinned by package-lock.json; reinstalled
# when the lock changes. node and npm come from the system (scripts/system-deps).
node_modules/.installed: package-lock.json
	@command -v npm >/dev/null || scripts/system-deps
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Templates are checked by djlint's linter but indented by djhtml: djlint's
# reformatting moves whitespace that shows inside inline elements.
TEMPLATES = $(shell find */templates -name '*.html')

# What the pre-commit hooks (.pre-commit-config.yaml) run too.
lint: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@echo "djlint --lint and djhtml --check on $(words $(TEMPLATES)) templates"
	@$(VENV)/bin/djlint --lint --quiet $(TEMPLATES)
	@$(VENV)/bin/djhtml --tabwidth 2 --check $(TEMPLATES)
	npx --no-install eslint .
	npx --no-install prettier --check .

# Rewrites the tree the way `make lint` wants it. Only fixes that never change
# behaviour (pyproject.toml lists the few beyond ruff's safe ones); the rest of
# what `make lint` reports is fixed by hand.
format: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/ruff check --fix --exit-zero --quiet .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml --tabwidth 2 $(TEMPLATES)
	npx --no-install prettier --write --log-level warn .

# The layout tests, saving what they check as PNGs for the docs (docs/screenshots/).
screenshots: $(VENV)/.installed system-deps
	$(PY) -m pytest e2e/test_layout.py e2e/test_search.py e2e/test_accessibility.py e2e/test_files.py e2e/test_direct_messages.py -k "fit_the_screen or fits_the_screen or finds_a_message or (reactions_and_replies and desktop) or arrives_live or tap_opens_them" $(E2E_FLAGS) --screenshots docs/screenshots

# BENCH_QUICK=1 for a smoke run; BENCH_ARGS="--help" for the options.
bench: $(VENV)/.installed system-deps
	$(PY) -m bench $(BENCH_ARGS)

# Recompile the pins after editing requirements/*.in.
requirements: $(VENV)/.installed
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links base.in -o base.txt
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links dev.in -o dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules staticfiles site
