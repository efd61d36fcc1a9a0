"""A real Celery worker for the tests that need one (tests/integration, the browser walk in tests/e2e).

The worker is a subprocess (``celery -A mergeplan worker --pool=solo``) on the configured broker — Redis
when CELERY_BROKER_URL (or REDIS_URL) is a redis URL, else kombu's filesystem transport in a temporary
folder — with its own queue, and the test database (a file for SQLite; the test database on PostgreSQL),
which it sees because the test commits (``transaction=True``). The worker is always terminated.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mergeplan.celery import app

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 60


def database_url() -> str:
    """The URL of the test database, for the worker process (skips when a worker cannot open it)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:memorydb"):
            pytest.skip("the SQLite test database is in memory: a worker cannot open it")
        return f"sqlite:///{Path(name).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
    return url if url.startswith(("redis://", "rediss://")) else "filesystem://"


def _reset_producers() -> None:
    """Forget the app's cached producer pool, queues and router so the next send uses the current conf
    (earlier tests in the session may have built them for another broker or queue)."""
    app._pool = None
    app.__dict__.pop("amqp", None)


@contextlib.contextmanager
def celery_worker(tmp_path: Path, *, extra_env: dict[str, str] | None = None) -> Iterator[dict]:
    """Start a worker on a private queue; point this process's Celery app (and so a live server running in
    it) at the same broker and queue, not eager; restore both afterwards."""
    queue = f"mergeplan-test-{uuid.uuid4().hex[:8]}"
    broker = broker_url()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MERGEPLAN_TODAY": "2006-03-15",
        "MERGEPLAN_VAR_DIR": str(tmp_path),  # the filesystem broker's folders live under it
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    keys = ("task_always_eager", "task_default_queue", "broker_url", "broker_transport_options")
    # what the app's own changes layer held: restored exactly, so that the app reads the (per-test) Django
    # settings again afterwards instead of values frozen at this worker's start
    saved = {k: app.conf.changes[k] for k in keys if k in app.conf.changes}
    conf = {"task_always_eager": False, "task_default_queue": queue, "broker_url": broker}
    if broker.startswith("filesystem://"):
        folder = tmp_path / "celery"
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    celery = Path(sys.executable).with_name("celery")
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(celery), "-A", "mergeplan", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    app.conf.update(conf)
    _reset_producers()
    try:
        yield {"proc": proc, "log": log_path, "queue": queue}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
        for key in keys:
            app.conf.changes.pop(key, None)
        app.conf.update(saved)
        _reset_producers()


def wait_for(predicate: Callable[[], bool], worker: dict, what: str, *, seconds: float = WAIT_SECONDS) -> None:
    """Poll ``predicate`` until it holds; fail with ``what`` and the worker's log when it does not in time
    (or the worker died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker["proc"].poll() is not None:
            break
        time.sleep(0.25)
    pytest.fail(f"{what} within {seconds:g} s; worker log:\n{worker['log'].read_text()[-4000:]}")
