#!/usr/bin/env bash
# Set up everything the suite needs and run it. Used by `make test` and by .ci/run.
# Where it can (root with apt-get), it installs the system packages and starts PostgreSQL and Redis;
# it points DATABASE_URL/REDIS_URL at them unless they are already set.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v xgettext >/dev/null || need_apt+=(gettext)
command -v docker-compose >/dev/null || need_apt+=(docker-compose)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "!! missing system packages: ${need_apt[*]} (the tests that need them will skip, or fail with CI=true)"
  fi
fi

# Start the local services if they are installed and down.
if command -v pg_lsclusters >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  cluster=$(pg_lsclusters -h | cut -d' ' -f1 | head -1)
  [ -n "$cluster" ] && pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
fi
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  sleep 1
fi
if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/quitgpt
fi
if [ -z "${REDIS_URL:-}" ] && command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export REDIS_URL=redis://127.0.0.1:6379/1
fi
echo "== DATABASE_URL=${DATABASE_URL:-(SQLite)} REDIS_URL=${REDIS_URL:-(none)} CI=${CI:-}"

make install
PY=.venv/bin/python
# The checks below connect to the database named in DATABASE_URL (the tests use test_<name>): create it.
$PY - <<'PYEOF'
import os
import psycopg
from urllib.parse import urlsplit
url = os.environ.get("DATABASE_URL", "")
if url.startswith(("postgres://", "postgresql://")):
    name = urlsplit(url).path.lstrip("/")
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
PYEOF
$PY manage.py compile_translations >/dev/null
echo "== ruff";        .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== import contracts"; .venv/bin/lint-imports --no-cache
echo "== bandit";      .venv/bin/bandit -q -c pyproject.toml -r . -x ./.venv,./tests,./bench
echo "== django checks"; $PY manage.py check --fail-level WARNING
$PY manage.py makemigrations --check --dry-run
echo "== pytest";      .venv/bin/pytest "$@"
