# The two commands: `make run` (the site on embedded defaults) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install setup lint format messages bench bench-tally faults scale clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,lint]"
	touch $@

install: $(VENV)/.installed

setup: install
	$(PY) manage.py compile_translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data

## Set up and serve the site at http://127.0.0.1:8000 (SQLite, in-process cache, inline tasks, console email).
run: setup
	$(PY) manage.py runserver 127.0.0.1:8000

## Set up and run the whole suite; uses PostgreSQL, Redis and Chromium (installing/starting them where it can).
test:
	bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Refresh the French catalogue after changing strings (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=bench --ignore=tests
	$(PY) manage.py compile_translations

## On demand, never in the suite (see bench/README.md): the viral-day web benchmark against a bare Django app,
## the tally job benchmark, the fault scenarios, two web nodes behind HAProxy.
bench: install
	bash bench/run.sh web

bench-tally: install
	bash bench/run.sh tally

faults: install
	bash bench/run.sh faults

scale: install
	bash bench/run.sh scale

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache
