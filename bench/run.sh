#!/usr/bin/env bash
# The tally benchmark (make bench): gunicorn on PostgreSQL + Redis, wrk as the load generator, 10K then
# 2M pledges. Results go to bench/README.md (between the RESULTS markers) and bench/results/.
# Needs: PostgreSQL and Redis running, wrk (apt-get install wrk). Uses its own database (dropped first).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is needed: apt-get install wrk" >&2; exit 1
  fi
}
exec .venv/bin/python bench/bench.py "$@"
