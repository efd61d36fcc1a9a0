"""Health endpoints for load balancers and compose: ``/healthz`` (alive) and ``/readyz`` (ready).

- ``/healthz`` — the process answers; touches nothing else (no database): 200 ``{"status": "ok"}``.
- ``/readyz`` — the database and the Celery broker answer: 200 when both do, 503 when either does not,
  with each part in the JSON (``checks``, and ``failing`` naming what is down). Both checks run at the
  same time, each with a connect timeout of :data:`CHECK_TIMEOUT` (setting ``HEALTH_CHECK_TIMEOUT``),
  and the answer never waits longer than that for them: a check still running is reported as a timeout.

:class:`HealthCheckMiddleware` answers both paths first in ``MIDDLEWARE``, before the host check, the
SSL redirect, sessions, authentication and throttling: a probe from inside the container (``Host:
127.0.0.1``, plain http) gets the truth, never a 400 or a 301. Error details go to the log; the body
names only the exception class.
"""
from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from django.http import HttpResponseNotAllowed, JsonResponse
from kombu import Connection

logger = logging.getLogger(__name__)

#: Seconds each readiness check may take (connect timeouts are set to at most this).
CHECK_TIMEOUT = 1.0


def _timeout() -> float:
    return float(getattr(settings, "HEALTH_CHECK_TIMEOUT", CHECK_TIMEOUT))


class CheckFailed(Exception):
    """A readiness check found its component unusable."""


# --- the checks -----------------------------------------------------------------------------------------


def check_database() -> dict:
    """``SELECT 1`` on a fresh connection of its own (the request's connection is left alone), with
    short connect and statement timeouts; closed afterwards."""
    base = connections["default"]
    params = copy.deepcopy(base.settings_dict)
    options = params.setdefault("OPTIONS", {})
    timeout = _timeout()
    if base.vendor == "postgresql":
        # libpq counts whole seconds (and older versions treat 1 as 2); the thread's deadline holds anyway
        options["connect_timeout"] = max(1, round(timeout))
        options["options"] = f"{options.get('options', '')} -c statement_timeout={int(timeout * 1000)}".strip()
    elif base.vendor == "sqlite":
        options["timeout"] = timeout
    params["CONN_MAX_AGE"] = 0
    wrapper = load_backend(params["ENGINE"]).DatabaseWrapper(params, "readyz")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()
    return {"vendor": base.vendor}


def check_broker() -> dict:
    """The Celery broker: Redis answers PING; the filesystem broker's folders exist and are writable;
    any other transport connects through kombu."""
    url = settings.CELERY_BROKER_URL
    transport = url.partition("://")[0].lower() or "unknown"
    timeout = _timeout()
    if transport.startswith("filesystem"):
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
        keys = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
        for folder in sorted({options[k] for k in keys if options.get(k)}):
            if not (os.path.isdir(folder) and os.access(folder, os.R_OK | os.W_OK | os.X_OK)):
                raise CheckFailed(f"broker folder missing or not writable: {folder}")
        return {"transport": "filesystem"}
    if transport in ("redis", "rediss"):
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return {"transport": transport}
    with Connection(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
    return {"transport": transport}


#: What ``/readyz`` checks; a test may replace an entry.
CHECKS: dict[str, Callable[[], dict]] = {"database": check_database, "broker": check_broker}


def _run(name: str, check: Callable[[], dict], results: dict) -> None:
    started = time.monotonic()
    try:
        detail = check() or {}
    except Exception as exc:  # noqa: BLE001 - whatever the component raises means "not ready"
        logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
        results[name] = {"ok": False, "error": type(exc).__name__}
    else:
        results[name] = {"ok": True, **detail}
    results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)


def run_checks() -> dict[str, dict]:
    """Every check in its own daemon thread, all at once; a check not done by the deadline is a timeout."""
    results: dict[str, dict] = {}
    threads = {}
    for name, check in CHECKS.items():
        thread = threading.Thread(target=_run, args=(name, check, results), name=f"readyz-{name}", daemon=True)
        thread.start()
        threads[name] = thread
    deadline = time.monotonic() + _timeout() + 0.2
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if name not in results:
            logger.warning("readiness check %s did not answer within %.1f s", name, _timeout())
            results[name] = {"ok": False, "error": "timeout"}
    return {name: results[name] for name in CHECKS}


# --- the views ------------------------------------------------------------------------------------------


def healthz(request) -> JsonResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request) -> JsonResponse:
    checks = run_checks()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "unavailable" if failing else "ok", "checks": checks, "failing": failing}
    return _no_store(JsonResponse(body, status=503 if failing else 200))


def api_ping(request) -> JsonResponse:
    """``/api/v1/ping/``: a trivial JSON answer — liveness, and the baseline of the API benchmark."""
    return JsonResponse({"status": "ok"})


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


VIEWS = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answers ``/healthz`` and ``/readyz`` (with or without a trailing slash) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info.rstrip("/"))
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
