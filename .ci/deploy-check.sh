#!/usr/bin/env bash
# Production hardening, checked as CI does it (issue 11, item 6):
#  1. `manage.py check --deploy` with production settings (DEBUG off, a real SECRET_KEY) fails on any warning;
#  2. the production response headers: HSTS, CSP without unsafe-inline scripts, Secure cookies, no Server
#     banner from gunicorn (gunicorn.conf.py), http → https redirect, /healthz and /readyz exempt;
#  3. docker-compose.yml is valid with SECRET_KEY set, and compose REFUSES it without one (no fallback secret).
# Needs the project's .venv (make install) and docker-compose 1.29 (apt-get install docker-compose); no engine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
fail() { echo "deploy-check: FAIL: $*" >&2; exit 1; }
step() { echo "== deploy-check: $*"; }

work=$(mktemp -d)
gunicorn_pid=""
cleanup() { [ -n "$gunicorn_pid" ] && kill "$gunicorn_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

secret=$("$PY" -c "import secrets; print(secrets.token_urlsafe(48))")   # 64 characters
prod_env=(env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL -u SECURE_SSL_REDIRECT -u SECURE_HSTS_SECONDS
          -u SESSION_COOKIE_SECURE -u CSRF_COOKIE_SECURE -u SECURE_HSTS_PRELOAD -u SECURE_HSTS_INCLUDE_SUBDOMAINS
          DJANGO_DEBUG=0 SECRET_KEY="$secret" ALLOWED_HOSTS=example.dk,127.0.0.1 MERGEPLAN_VAR_DIR="$work/var"
          STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage LOG_LEVEL=WARNING)

step "manage.py check --deploy --fail-level WARNING (DEBUG off)"
"${prod_env[@]}" "$PY" manage.py check --deploy --fail-level WARNING || fail "check --deploy reports issues"

step "production headers from gunicorn with gunicorn.conf.py"
"${prod_env[@]}" "$PY" manage.py migrate --noinput -v0
"${prod_env[@]}" "$PY" manage.py collectstatic --noinput -v0
port=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"${prod_env[@]}" PORT="$port" WEB_CONCURRENCY=1 "$PY" -m gunicorn -c gunicorn.conf.py mergeplan.wsgi:application \
    >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!
"${prod_env[@]}" PORT="$port" "$PY" - <<'PYCHECK' || { cat "$work/gunicorn.log" >&2; fail "production headers"; }
import http.client, json, os, time

port = int(os.environ["PORT"])

def get(path, headers=None):
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": "example.dk", **(headers or {})})
            response = conn.getresponse()
            response.read()
            return response
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")

problems = []
health = get("/healthz", {"Host": "127.0.0.1"})
if health.status != 200:
    problems.append(f"/healthz over http with Host 127.0.0.1: {health.status}, expected 200")
ready = get("/readyz", {"Host": "127.0.0.1"})
if ready.status != 200:
    problems.append(f"/readyz: {ready.status}, expected 200")
plain = get("/login/")
if plain.status != 301 or not (plain.getheader("Location") or "").startswith("https://"):
    problems.append(f"http /login/: {plain.status} {plain.getheader('Location')}, expected 301 to https")
page = get("/login/", {"X-Forwarded-Proto": "https"})
if page.status != 200:
    problems.append(f"https /login/: {page.status}")
for response, path in ((health, "/healthz"), (plain, "/login/ (http)"), (page, "/login/")):
    if response.getheader("Server") is not None:
        problems.append(f"{path}: Server header sent: {response.getheader('Server')!r}")
hsts = page.getheader("Strict-Transport-Security") or ""
if "max-age=31536000" not in hsts or "includeSubDomains" not in hsts:
    problems.append(f"HSTS: {hsts!r}")
csp = dict(p.strip().split(" ", 1) for p in (page.getheader("Content-Security-Policy") or "x y").split(";"))
if csp.get("script-src") != "'self'" or "unsafe-inline" in csp.get("style-src", "") or "default-src" not in csp:
    problems.append(f"Content-Security-Policy: {page.getheader('Content-Security-Policy')!r}")
cookies = page.msg.get_all("Set-Cookie") or []
if not cookies or any("; Secure" not in c for c in cookies):
    problems.append(f"cookies not Secure: {cookies}")
for p in problems:
    print("  -", p)
print(json.dumps({"healthz": health.status, "readyz": ready.status, "http": plain.status, "https": page.status,
                  "hsts": hsts, "server": page.getheader("Server"), "cookies": len(cookies)}))
raise SystemExit(1 if problems else 0)
PYCHECK
kill "$gunicorn_pid"; wait "$gunicorn_pid" 2>/dev/null || true; gunicorn_pid=""

step "docker-compose.yml: valid with SECRET_KEY, refused without"
command -v docker-compose >/dev/null || fail "docker-compose is not installed (apt-get install docker-compose)"
SECRET_KEY="$secret" docker-compose -f docker-compose.yml config -q || fail "docker-compose.yml is invalid"
: >"$work/empty.env"  # not the developer's .env, which may hold a SECRET_KEY
if env -u SECRET_KEY docker-compose -f docker-compose.yml --env-file "$work/empty.env" config -q >"$work/compose.out" 2>&1; then
    fail "docker-compose accepts the file without SECRET_KEY (a fallback secret?)"
fi
grep -q "SECRET_KEY" "$work/compose.out" || { cat "$work/compose.out" >&2; fail "compose failed, but not for SECRET_KEY"; }
services=$(SECRET_KEY="$secret" docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')
[ "$services" = "beat db redis web worker " ] || fail "compose services: $services"
SECRET_KEY="$secret" docker-compose -f docker-compose.yml config | "$PY" -c '
import sys, re
text = sys.stdin.read()
for name in ("web", "worker", "db", "redis"):
    block = re.search(rf"^  {name}:\n((?:    .*\n|\n)*)", text, re.M).group(1)
    assert "healthcheck:" in block, f"{name} has no health check"
assert re.search(r"^  beat:\n(?:    .*\n)*", text, re.M) and "scale" not in text and "replicas" not in text
' || fail "compose health checks / a single beat"

echo "deploy-check: OK"
