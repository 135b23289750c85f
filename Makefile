# Sparring: the commands a developer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The address links in e-mail start with; follows HOST and PORT unless set.
# (0.0.0.0 listens on every interface; a browser on this machine reaches it as 127.0.0.1.)
SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
export SITE_URL
# The embedded default also answers on HOST (config/settings/local.py: ALLOWED_HOSTS).
export HOST PORT

# manage.py and celery_app.py default to the production settings (config/environment.py);
# the Makefile's own targets run the embedded default unless DJANGO_SETTINGS_MODULE is set.
# (Not for `make test`: pytest takes config.settings.test from pyproject.toml.)
LOCAL_TARGETS := install messages run worker beat bench
$(LOCAL_TARGETS): export DJANGO_SETTINGS_MODULE ?= config.settings.local

.DEFAULT_GOAL := help
.PHONY: help install messages tokens run test worker beat lint format lock bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/lock.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/lock.txt
	@touch $(STAMP)

install: $(STAMP) messages tokens ## Create .venv when missing and install the locked dependencies

# The Suomi.fi design tokens: static/css/tokens.css is generated from the npm package
# locked in package-lock.json and committed, so the product, CI and a machine without
# Node need no npm. Where npm is present, install refreshes the file from the lock
# (npm ci, no install scripts) and git shows any difference.
tokens: ## Refresh static/css/tokens.css from package-lock.json (needs npm; skipped without it)
	@if command -v npm >/dev/null; then \
	  npm ci --ignore-scripts --no-audit --no-fund --silent && node frontend/build_tokens.js; \
	else echo "npm not found: keeping the committed static/css/tokens.css"; fi

messages: $(STAMP) ## Compile the translation catalogues (locale/*.po -> .mo)
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install gettext (apt-get install gettext)"; exit 1; }
	@$(PY) manage.py compilemessages --ignore='.venv' -v0

run: install ## Start the product on SQLite at HOST:PORT (127.0.0.1:8000 unless set)
	@# this checkout is a developer's (config/environment.py); it also keeps the address
	@# links start with, for commands run beside the server (config/settings/local.py)
	@mkdir -p var && echo "$(SITE_URL)" > var/local-settings
	$(PY) manage.py migrate --noinput -v0
	@echo "Loading the 2021-2022 programme (about a minute the first time, instant afterwards)..."
	$(PY) manage.py seed_programme
	$(PY) manage.py seed_demo
	@echo "Timer sweep runs in the background; the product is at $(SITE_URL)/ (Ctrl-C stops it)"
	@# The timer loop runs beside the server; whichever way the server ends (Ctrl-C,
	@# an error), the trap stops the loop by its process id, and Ctrl-C ends quietly.
	@$(PY) manage.py timer_loop & timer=$$!; \
	  trap 'kill $$timer 2>/dev/null; wait $$timer 2>/dev/null' EXIT; \
	  trap 'exit 0' INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: install ## Run the whole test suite (services and browser tests run when available)
	$(PY) -m pytest $(PYTEST_ARGS)

worker: install ## Start a Celery worker (needs DATABASE_URL and REDIS_URL)
	$(VENV)/bin/celery -A celery_app worker --loglevel=info

beat: install ## Start Celery beat: fires due workflow timers every minute
	$(VENV)/bin/celery -A celery_app beat --loglevel=info --schedule=var/celerybeat-schedule

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## Benchmarks of issue 17 (ratios vs baselines, targets; PostgreSQL with DATABASE_URL) and the report PDF
	$(PY) manage.py bench_pdf
	$(PY) manage.py bench $(BENCH_ARGS)

lock: ## Regenerate requirements/lock.txt from pyproject.toml
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

clean: ## Remove the local database, mail and generated files (keeps .venv)
	rm -rf var staticfiles .pytest_cache
