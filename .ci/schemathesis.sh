#!/usr/bin/env bash
# Schemathesis with every check over the whole API, as a read-write and a read-only token client.
#
# Starts the app under gunicorn (DEBUG off) on a free loopback port against a fresh, migrated, seeded
# SQLite database in a temporary folder, creates two API tokens for the demo's IT chief (read-write and
# read-only), runs `schemathesis run … --checks all` once per token (bounded: examples per operation and
# a time budget per run), stops the server and exits non-zero when any check failed.
#
#   .ci/schemathesis.sh                     # from the project folder; ~3 minutes
#   ST_MAX_EXAMPLES=10 ST_MAX_TIME=60 .ci/schemathesis.sh
#
# Accepted answers that schemathesis cannot know from the schema alone are configured in
# .ci/schemathesis.toml and explained there and in docs/performance.md ("Schema and schemathesis").
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
ST=${ST:-$ROOT/.venv/bin/schemathesis}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-15}
MAX_TIME=${ST_MAX_TIME:-90}          # seconds per token run
USER_RW=${ST_USER:-bent}             # the demo's IT chief of Tønder

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mergeplan-st.XXXXXX")
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=mergeplan.settings
export MERGEPLAN_VAR_DIR="$WORK/var"
export DATABASE_URL="sqlite:///$WORK/var/mergeplan.sqlite3"
export MERGEPLAN_TODAY=${MERGEPLAN_TODAY:-2006-03-15}
export DJANGO_DEBUG=0 SECRET_KEY="schemathesis-$RANDOM$RANDOM$RANDOM" SECURE_SSL_REDIRECT=0
export SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export API_TOKEN_THROTTLE_RATE=100000000/min   # the throttle runs, never bites (429 is documented)
export CELERY_TASK_ALWAYS_EAGER=${CELERY_TASK_ALWAYS_EAGER:-1}
unset REDIS_URL CELERY_BROKER_URL || true
mkdir -p "$MERGEPLAN_VAR_DIR"

echo "== database: migrate + seed_demo in $WORK"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo >/dev/null
RW=$("$PY" manage.py create_api_token "$USER_RW" --name schemathesis-rw --expires 1 2>/dev/null)
RO=$("$PY" manage.py create_api_token "$USER_RW" --name schemathesis-ro --read-only --expires 1 2>/dev/null)

echo "== gunicorn on $BASE"
"$PY" -m gunicorn mergeplan.wsgi --bind "127.0.0.1:$PORT" --workers 2 --worker-class sync \
  --access-logfile /dev/null --max-requests 0 --log-level warning --timeout 60 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "$BASE/api/v1/ping/" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$BASE/api/v1/ping/" >/dev/null

status=0
for who in rw ro; do
  token=$RW; [[ $who == ro ]] && token=$RO
  echo "== schemathesis --checks all as the $who token (max $MAX_EXAMPLES examples/operation, $MAX_TIME s)"
  # run in the temporary folder: schemathesis keeps a cache folder (.schemathesis/) in the current one.
  # One worker: with two, hypothesis' ast.parse in parallel threads hit CPython 3.11.7's "AST constructor
  # recursion depth mismatch" (a race fixed in later CPython), a runtime error of the tool, not of the API.
  if ! (cd "$WORK" && "$ST" --config-file "$ROOT/.ci/schemathesis.toml" run "$BASE/api/v1/schema/" \
      --url "$BASE" --checks all \
      -H "Authorization: Bearer $token" \
      --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --seed 20061 \
      --generation-deterministic --request-timeout 20 --workers 1 \
      --exclude-path /api/v1/schema/ \
      --suppress-health-check all --warnings off --no-color); then
    status=1
  fi
done

if grep -q "Traceback" "$WORK/server.log"; then
  echo "== the server logged tracebacks:"; grep -B2 -A20 "Traceback" "$WORK/server.log" | head -80
  status=1
fi
exit $status
