# The two commands: `make dev` (set up and serve on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

# Python 3.13 preferred, 3.12 accepted: on PATH or under pyenv.
ifndef PYTHON
PYTHON := $(shell for candidate in python3.13 \
	$$(ls -d /root/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null) \
	python3.12 \
	$$(ls -d /root/.pyenv/versions/3.12*/bin/python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null); do \
	if command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	echo $$candidate; break; fi; done)
endif

.PHONY: help dev test install lint format serve demo clean check-python browser vendor upstream-cli

help:
	@echo "make dev    set up (venv, install, migrate, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff check and format check"

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer was not found (looked for python3.13, python3.12 and pyenv)."; \
		echo "Install one, e.g. 'pyenv install 3.13' or 'apt-get install python3.13', or run"; \
		echo "'make PYTHON=/path/to/python3.13 ...'."; exit 1; fi

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml | check-python
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed vendor browser

# React 18's UMD builds, served as our static files to plugins that use the shell's React
# (docs/shell-runtime.md); from the npm registry, never committed, never from a public CDN.
REACT_VERSION := 18.3.1
REACT_VENDOR := static/vendor/react
REACT_UMD := $(REACT_VENDOR)/react.production.min.js $(REACT_VENDOR)/react-dom.production.min.js

vendor: $(REACT_UMD)

$(REACT_UMD) &:
	npm install --no-save --no-audit --no-fund --silent --prefix var/npm \
		react@$(REACT_VERSION) react-dom@$(REACT_VERSION)
	mkdir -p $(REACT_VENDOR)
	cp var/npm/node_modules/react/umd/react.production.min.js $(REACT_VENDOR)/
	cp var/npm/node_modules/react-dom/umd/react-dom.production.min.js $(REACT_VENDOR)/

# What NaaP's own CLI needs to run its deploy, status and rollback commands from the NaaP sample
# (../shared/naap-upstream/) against a live server in the tests (docs/naap-endpoints.md): the
# packages they import, and esbuild to bundle their TypeScript. Pinned; only `make test` needs
# them. The stamp is named after a hash of the pins, so they are installed again only when the
# pins change, not on any other edit of this file.
UPSTREAM_CLI_PACKAGES := commander@12.1.0 chalk@5.6.2 ora@8.2.0 fs-extra@11.4.1 esbuild@0.28.2
UPSTREAM_CLI_DIR := var/npm-cli
UPSTREAM_CLI_PINS := $(shell printf '%s' '$(UPSTREAM_CLI_PACKAGES)' | sha256sum | cut -c1-16)
UPSTREAM_CLI := $(UPSTREAM_CLI_DIR)/.installed-$(UPSTREAM_CLI_PINS)

upstream-cli: $(UPSTREAM_CLI)

$(UPSTREAM_CLI):
	npm install --no-save --no-audit --no-fund --silent --prefix $(UPSTREAM_CLI_DIR) \
		$(UPSTREAM_CLI_PACKAGES)
	@rm -f $(UPSTREAM_CLI_DIR)/.installed*
	@touch $@

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo apt-get install -y chromium; \
	fi

dev: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "  NaaP Plugin Marketplace: http://$(HOST):$(PORT)/"
	@echo "  Admin:                   http://$(HOST):$(PORT)/admin/  (admin / admin)"
	@echo "  Demo user:               demo / demo"
	@echo ""
	@echo "  Task worker (webhook deliveries) runs beside the server: manage.py db_worker"
	@echo "  Rollout loop (health gates) runs beside the server:      manage.py run_rollouts"
	@echo ""
	@DEBUG=1 $(PY) manage.py db_worker --no-reload & worker=$$!; \
	DEBUG=1 $(PY) manage.py run_rollouts & gates=$$!; \
	trap 'kill $$worker $$gates 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install upstream-cli
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache

# The benchmark suite (docs/PERFORMANCE.md): catalog, gunicorn + PostgreSQL + Redis, nginx and
# Verdaccio anchors, wrk runs, worker sweep, publish timing, the bootstrap during rollouts and the
# field reports ingestion against their targets. Not part of `make test` or CI.
.PHONY: bench
bench: $(VENV)/.installed vendor
	bench/run.sh
