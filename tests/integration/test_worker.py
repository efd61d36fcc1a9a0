"""A real Celery worker recomputes the schedule after a change.

The worker is a subprocess (``celery -A mergeplan worker --pool=solo``) on the configured broker — Redis
when CELERY_BROKER_URL (or REDIS_URL) is a redis URL, else kombu's filesystem transport in a temporary
folder — with its own queue, and the test database (a file for SQLite; the test database on PostgreSQL),
which it sees because the test commits (``transaction=True``). The worker is always terminated.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mergeplan.celery import app
from runbook.models import ScheduleRequest, Step, StepStatus
from runbook.services import step_transition
from tests.factories import UserFactory, merger_with_runbook

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 60


def _database_url() -> str:
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


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
    return url if url.startswith(("redis://", "rediss://")) else "filesystem://"


def _reset_producers() -> None:
    """Forget the app's cached producer pool, queues and router so the next send uses the current conf
    (earlier tests in the session may have built them for another broker or queue)."""
    app._pool = None
    app.__dict__.pop("amqp", None)


@pytest.fixture
def worker(tmp_path):
    """Start a worker on a private queue; point this process's Celery app at the same broker and queue."""
    queue = f"mergeplan-test-{uuid.uuid4().hex[:8]}"
    broker = _broker_url()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MERGEPLAN_TODAY": "2006-03-15",
        "MERGEPLAN_VAR_DIR": str(tmp_path),  # the filesystem broker's folders live under it
        "PYTHONUNBUFFERED": "1",
    }
    saved = {k: app.conf.get(k) for k in ("task_always_eager", "task_default_queue", "broker_url",
                                           "broker_transport_options")}
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
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [str(celery), "-A", "mergeplan", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    app.conf.update(conf)
    _reset_producers()
    try:
        yield {"proc": proc, "log": tmp_path / "worker.log", "queue": queue}
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
        app.conf.update(saved)
        _reset_producers()


def _wait_for(predicate, worker, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker["proc"].poll() is not None:
            break
        time.sleep(0.25)
    pytest.fail(f"{what} within {WAIT_SECONDS} s; worker log:\n{worker['log'].read_text()[-4000:]}")


def test_worker_recomputes_after_a_status_change(settings, worker):
    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0.2
    chief = UserFactory(username="chief")
    # given: a merger whose runbook the worker schedules (instantiating it enqueued the first run)
    merger = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    preparation = Step.objects.get(runbook__merger=merger, key="2-area0")
    _wait_for(
        lambda: Step.objects.filter(pk=preparation.pk, planned_start=dt.date(2006, 3, 22)).exists(),
        worker, "the first schedule was not written",
    )
    # when: the survey is done on the planning date, a week early
    survey = Step.objects.get(runbook__merger=merger, key="1")
    step_transition(step=survey, status=StepStatus.DONE, actor=chief)
    # then: the worker moves its successor forward
    _wait_for(
        lambda: Step.objects.filter(pk=preparation.pk, planned_start=dt.date(2006, 3, 16)).exists(),
        worker, "the worker did not recompute after the change",
    )
    state = ScheduleRequest.objects.get(merger=merger)
    assert state.completed == state.requested == 2
