# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The e2e suite runs without the async plugins (see e2e/conftest.py).
E2E_FLAGS := -p no:django -p no:asyncio -W ignore::pytest.PytestConfigWarning

.PHONY: help run admin test test-unit test-e2e screenshots system-deps bench requirements clean

help:
	@echo "make run    - install, migrate and serve http://$(HOST):$(PORT)"
	@echo "make test   - install what is missing and run the whole suite (e2e included)"
	@echo "make admin  - create a staff account for /admin/"
	@echo "make bench  - fan-out benchmark against the Channels tutorial design"
	@echo "make screenshots - refresh docs/screenshots/ (room list and a busy room: desktop, phone, dark; search results; reactions and replies; a room with images; a direct message)"

# The venv is rebuilt when the pinned requirements change.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	@set -e; if [ ! -x $(PY) ]; then \
	  py=$$(scripts/find-python); \
	  echo "Creating $(VENV) with $$py"; \
	  $$py -m venv $(VENV); \
	fi
	$(PIP) install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $@

# DEBUG defaults to off (production); local runs turn it on, which also gives
# the development SECRET_KEY, and say where the chat is (links in emails,
# printed to the worker's log, are built from CHAT_BASE_URL).
LOCAL := DEBUG=$${DEBUG:-true} CHAT_BASE_URL=$${CHAT_BASE_URL:-http://$(HOST):$(PORT)}

run: $(VENV)/.installed
	$(LOCAL) $(PY) manage.py migrate --no-input
	$(LOCAL) $(PY) manage.py ensure_lobby
	@echo
	@echo "  Chat is at http://$(HOST):$(PORT)/  (the first visit creates the first, staff account;"
	@echo "  invite people from the room list, then open the lobby in two tabs)"
	@echo "  Another staff account for /admin/:  make admin   (or: $(PY) manage.py createsuperuser)"
	@echo
	@echo "  Background tasks (bots' webhooks, emails) run in a worker beside the server; it stops with it."
	@echo
	@$(LOCAL) $(PY) manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(LOCAL) $(PY) manage.py runserver $(HOST):$(PORT)

admin: $(VENV)/.installed
	$(LOCAL) $(PY) manage.py migrate --no-input
	$(LOCAL) $(PY) manage.py createsuperuser

# Chromium and redis-server come from the system; install them when missing.
system-deps:
	@scripts/system-deps

# Async unit tests and Playwright fight over the event loop in one process:
# they run as two pytest invocations.
test: $(VENV)/.installed system-deps
	$(PY) -m pytest
	$(PY) -m pytest e2e $(E2E_FLAGS)

test-unit: $(VENV)/.installed
	$(PY) -m pytest

test-e2e: $(VENV)/.installed system-deps
	$(PY) -m pytest e2e $(E2E_FLAGS)

# The layout tests, saving what they check as PNGs for the README.
screenshots: $(VENV)/.installed system-deps
	$(PY) -m pytest e2e/test_layout.py e2e/test_search.py e2e/test_accessibility.py e2e/test_files.py e2e/test_direct_messages.py -k "fit_the_screen or fits_the_screen or finds_a_message or (reactions_and_replies and desktop) or arrives_live" $(E2E_FLAGS) --screenshots docs/screenshots

# BENCH_QUICK=1 for a smoke run; BENCH_ARGS="--help" for the options.
bench: $(VENV)/.installed system-deps
	$(PY) -m bench $(BENCH_ARGS)

# Recompile the pins after editing requirements/*.in.
requirements: $(VENV)/.installed
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links base.in -o base.txt
	cd requirements && ../$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links dev.in -o dev.txt

clean:
	rm -rf $(VENV) .pytest_cache staticfiles
