#!/usr/bin/env bash
# Fault tests (issue 11, "No dropped work"): real PostgreSQL on a fresh database created and dropped here,
# a private redis-server per test (started by the tests on a free port from 6390, never the shared 6379)
# and real Celery worker and beat subprocesses stopped or SIGKILLed on purpose. Exit 0 only when tests ran
# and passed (pytest's exit 5, nothing collected, is a failure).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v redis-server >/dev/null 2>&1 || { echo "redis-server is not installed" >&2; exit 1; }
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not running on 127.0.0.1:5432" >&2; exit 1; }

PGDB="mergeplan_fault_$$"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${PGDB}" postgres
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${PGDB}" postgres
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${PGDB}" postgres >/dev/null 2>&1 || true' EXIT

rc=0
env -u REDIS_URL -u CELERY_BROKER_URL \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/${PGDB}" FAULT_TESTS=1 \
  .venv/bin/pytest -q -p no:cacheprovider -m fault tests/fault || rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no fault tests" >&2; exit 1; fi
exit "$rc"
