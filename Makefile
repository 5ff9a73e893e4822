# Waymark: `make run` to try it, `make test` to test it. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: install
install: $(VENV)/.installed node_modules/.installed ## Install Python and npm dependencies (pinned)

.PHONY: assets
assets: install ## Build GOV.UK Frontend and MOJ Frontend into static/dist/ and collect static files
	npm run --silent build
	DEBUG=0 $(PY) manage.py collectstatic --noinput --clear -v0 -i scss

# The demo data is loaded quietly, its messages sent as it goes (Q_SYNC) rather than left
# for the worker; then honcho runs config/Procfile.dev (web server, worker, and the banner
# with the addresses and logins, printed last) and stops them all on Ctrl-C or SIGTERM.
.PHONY: run
run: assets ## Run Waymark on this machine: migrate, load demo data, start web server and worker
	@export DEBUG=$${DEBUG:-1} LOG_FORMAT=$${LOG_FORMAT:-plain} WAYMARK_ADDRESS=$(HOST):$(PORT) \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; \
	$(PY) manage.py migrate --noinput -v0 && \
	LOG_LEVEL=ERROR Q_SYNC=1 $(PY) manage.py seed_demo >/dev/null && \
	exec $(VENV)/bin/honcho -f config/Procfile.dev start

.PHONY: test
test: assets ## Run the whole test suite (browser tests need Chromium: see README)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install ## Check code style, which way the imports point (import-linter) and types (mypy)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

.PHONY: openapi
openapi: install ## Write the API's OpenAPI document to docs/api/openapi.yaml (a test checks it is current)
	DEBUG=1 $(PY) manage.py spectacular --file docs/api/openapi.yaml --validate --fail-on-warn

.PHONY: format
format: install ## Format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

.PHONY: messages
messages: install ## Collect the Welsh strings into cases/locale (translate them), then compile
	DEBUG=1 $(PY) manage.py makemessages -l cy --ignore=.venv --ignore=node_modules \
		--ignore=static --ignore=staticfiles --ignore=tests --ignore=benchmarks --ignore=docs
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

.PHONY: clean
clean: ## Remove the virtualenv, node_modules, built assets and the local database
	rm -rf $(VENV) node_modules static/dist staticfiles db.sqlite3 db.sqlite3-*
