# Copro — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test worker lint fmt messages bench

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

install: $(STAMP) ## Install system packages if missing, create .venv, install the project

$(STAMP): pyproject.toml scripts/system-deps.sh
	@PYTHON=$(PYTHON) bash scripts/system-deps.sh
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "Python 3.11 is required (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: install ## Start the local database, migrate, seed the demo, serve on :8000
	@bash scripts/run.sh

test: install ## Run the whole test suite on PostgreSQL (ARGS=... for pytest)
	@bash scripts/test.sh $(ARGS)

worker: install ## Run a Celery worker with beat (needs REDIS_URL)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	@$(VENV)/bin/celery -A copro worker -B -l info

lint: install ## ruff check and format check
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: install ## Format and fix with ruff
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

messages: install ## Update and compile the translation catalogues (needs gettext)
	@command -v msgfmt >/dev/null || { echo "Install gettext: apt-get install gettext"; exit 1; }
	@$(PY) manage.py makemessages -l fr -l en --no-obsolete \
		--ignore=.venv --ignore=var --ignore=static/vendor --ignore=tests --ignore=bench
	@$(PY) manage.py compilemessages --ignore=.venv

bench: install ## Page benchmarks as ratios to /healthz/ (needs seed_demo --scale 3 --documents 100000 --incidents 100000 --entries 1000000)
	@bash scripts/with-db.sh $(PY) bench/run.py
	@bash scripts/with-db.sh $(PY) bench/documents.py
	@bash scripts/with-db.sh $(PY) bench/incidents.py
	@bash scripts/with-db.sh $(PY) bench/finance.py
