#!/usr/bin/env bash
# The on-demand harnesses (see bench/README.md):
#   bash bench/run.sh web     the viral-day web benchmark (make bench)
#   bash bench/run.sh tally   the tally job benchmark, 10K then 2M pledges (make bench-tally)
#   bash bench/run.sh pledge-cpu  a pledge POST's CPU, in one process (make bench-pledge-cpu)
#   bash bench/run.sh sender  what one owed email costs the batch sender, in one process (make bench-sender)
#   bash bench/run.sh faults  the fault scenarios (make faults)
#   bash bench/run.sh scale   two web nodes behind HAProxy (make scale)
# Needs PostgreSQL and Redis running, and wrk (and haproxy for scale): installed with apt-get when run
# as root. Each uses its own database (dropped first).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-web}"
[ $# -gt 0 ] && shift
need() {
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    }
  else
    echo "$1 is needed: apt-get install $2" >&2; exit 1
  fi
}
need wrk wrk
case "$what" in
  web) exec .venv/bin/python bench/web.py "$@" ;;
  tally) exec .venv/bin/python bench/bench.py "$@" ;;
  pledge-cpu) exec .venv/bin/python bench/pledge_cpu.py "$@" ;;
  sender) exec .venv/bin/python bench/sender.py "$@" ;;
  faults) exec .venv/bin/python bench/faults.py "$@" ;;
  scale) need haproxy haproxy; exec .venv/bin/python bench/scale.py "$@" ;;
  *) echo "usage: bash bench/run.sh web|tally|pledge-cpu|sender|faults|scale" >&2; exit 2 ;;
esac
