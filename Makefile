# The two commands: `make run` (the site on embedded defaults) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install setup lint format messages bench bench-tally bench-log bench-pledge-cpu bench-sender faults scale bench-updates screenshots clean

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

## Every public page, English and French, at 390 and 1280 px, into screenshots/ (needs Chromium).
screenshots: setup
	$(PY) scripts/screenshots.py

## On demand, never in the suite (see bench/README.md): the viral-day web benchmark against a bare Django app,
## the tally job benchmark, the fault scenarios, two web nodes behind HAProxy.
bench: install
	bash bench/run.sh web

bench-tally: install
	bash bench/run.sh tally

## Where a pledge POST's CPU goes (web process and its PostgreSQL backend), in one process, prepared vs not.
bench-pledge-cpu: install
	bash bench/run.sh pledge-cpu

## What one owed confirmation email costs the batch sender (its CPU, its PostgreSQL backend's, SQL per email).
bench-sender: install
	bash bench/run.sh sender

faults: install
	bash bench/run.sh faults

scale: install
	bash bench/run.sh scale

## One campaign update to 10K then 100K recipients through a local SMTP sink (bench/README.md).
## Needs PostgreSQL (DATABASE_URL, or 127.0.0.1:5432) and redis-server; SIZES="10000 100000 1000000".
SIZES ?= 10000 100000
bench-updates: install
	$(PY) manage.py compile_translations >/dev/null
	$(PY) bench/updates_bench.py --sizes $(SIZES)

## The count's log: what it adds to a tally run, proof costs, the verifier on a 2,000,000-entry log.
bench-log: install
	$(PY) bench/bench_log.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache
