# mergeplan — the two commands a newcomer needs: `make run` and `make test`.
# Everything else here is a helper for those two, for CI, or for benchmarks.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

# The embedded default: DEBUG, SQLite in var/, Celery on the filesystem broker, the demo's pinned date.
RUN_ENV := DJANGO_DEBUG=1 MERGEPLAN_TODAY=$${MERGEPLAN_TODAY:-2006-03-15}
# `make run` serves with DEBUG off, as production does (the site's own error pages, not Django's debug
# pages), over plain http on loopback: a secret key made once for this checkout (var/secret-key), no https
# redirect or Secure cookies, static files by whitenoise straight from static/ (no collectstatic).
SECRET_FILE := $${MERGEPLAN_VAR_DIR:-var}/secret-key
SERVE_ENV := DJANGO_DEBUG=0 SECRET_KEY="$$(cat $(SECRET_FILE))" MERGEPLAN_TODAY=$${MERGEPLAN_TODAY:-2006-03-15} \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0 \
	WHITENOISE_USE_FINDERS=1 WHITENOISE_AUTOREFRESH=1

.PHONY: run test install migrate seed worker web messages lint bench bench-schedule bench-api clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

## run: install, migrate, seed the demo, start the web server and a Celery worker with embedded beat.
run: seed
	@echo ""
	@echo "  mergeplan runs at  http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins (password for all: mergeplan-demo):"
	@$(RUN_ENV) $(PY) -c "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','mergeplan.settings');django.setup();from demo.people import DEMO_USERS;[print(f'    {u:<24} {r}') for u,r in DEMO_USERS]" 2>/dev/null
	@echo "  Stop with Ctrl-C."
	@echo ""
	@test -s $(SECRET_FILE) || (umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $(SECRET_FILE))
	@$(SERVE_ENV) bash -c 'trap "kill 0" EXIT INT TERM; \
	  $(VENV)/bin/celery -A mergeplan worker --beat --concurrency 2 --loglevel INFO & \
	  $(PY) manage.py runserver $(HOST):$(PORT)'

## test: the whole suite. SQLite and eager Celery unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

messages: install
	cd $(CURDIR) && DJANGO_DEBUG=1 $(PY) manage.py makemessages -l da -l en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore '.venv/*'

## bench: a bounded, production-like load run (gunicorn, a fresh PostgreSQL database, a Celery worker; the
## demo; pages, milestone API, status changes) for $$BENCH_SECONDS (30) s; exits non-zero on any error.
bench: install
	DJANGO_DEBUG=1 BENCH_SECONDS=$${BENCH_SECONDS:-30} $(PY) manage.py bench_mix $(BENCH_ARGS)

bench-schedule: install
	DJANGO_DEBUG=1 $(PY) manage.py bench_schedule $(BENCH_ARGS)

bench-api: install
	DJANGO_DEBUG=1 $(PY) manage.py bench_api $(BENCH_ARGS)

clean:
	rm -rf var/ test-artifacts/
