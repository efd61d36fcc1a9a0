"""No dropped work under real faults (issue 11, item 2): PostgreSQL, a private redis-server, real Celery
worker and beat subprocesses.

- Redis stopped: a status change (service and API) commits; the replan stays pending; Redis back → the
  beat's every-minute sweep (or a restarted worker's start-up sweep) has it done within 90 s.
- A worker SIGKILLed mid-replan: a new worker has it done within 90 s; the broker's redelivery of the
  killed task later is a no-op; every moved step has exactly one step_rescheduled Event.
- A worker SIGKILLed after the mail server took a digest and before the task finished: the redelivered
  task and another run send nothing more (at most once).
- A schedule run never waits for (and so never deadlocks with) a writing transaction holding the request.
"""
from __future__ import annotations

import datetime as dt
import importlib
import re
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from audit.models import Event
from municipalities.tokens import api_token_create
from runbook import tasks
from runbook.models import NotificationSent, Runbook, ScheduleRequest, Step, StepStatus
from runbook.planning.apply import schedule_apply
from runbook.planning.counters import _request_bump
from runbook.services import step_transition
from tests.factories import UserFactory, merger_with_runbook

from .stack import RedisServer, Stack, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

RECOVERY_SECONDS = 90


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stack(tmp_path, redis, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a real broker: enqueue failures are logged, not raised
    stack = Stack(tmp_path, redis)
    stack.use_from_this_process()
    try:
        yield stack
    finally:
        stack.restore()


@pytest.fixture
def plan():
    """A scheduled merger (scheduled in this process) and its chief."""
    chief = UserFactory(username="chief")
    merger = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    schedule_apply(merger)
    return merger, chief


def counters(merger) -> tuple[int, int]:
    state = ScheduleRequest.objects.get(merger=merger)
    return state.requested, state.completed


def planned(merger) -> dict[int, tuple]:
    return {pk: (s, f) for pk, s, f in Step.objects.filter(runbook__merger=merger)
            .values_list("pk", "planned_start", "planned_finish")}


def ready(stack, proc) -> None:
    wait_for(lambda: " ready." in stack.log(proc), 60, "the worker did not start", proc)


def install_sweep() -> None:
    """The beat default of migration 0007 (a transactional test's flush removed the migrated rows)."""
    from django.apps import apps

    importlib.import_module("runbook.migrations.0007_recompute_sweep_periodic_task").install(apps, None)


def test_redis_down_the_write_commits_and_the_replan_follows_recovery(stack, redis, plan):
    merger, chief = plan
    install_sweep()
    worker, beat = stack.worker("w1"), stack.beat()
    ready(stack, worker)
    survey = Step.objects.get(runbook__merger=merger, key="1")
    preparation = Step.objects.get(runbook__merger=merger, key="2-area0")
    assert preparation.planned_start == dt.date(2006, 3, 22)
    _, raw = api_token_create(user=chief, name="fault")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    etag = client.get(f"/api/v1/steps/{preparation.pk}/").headers["ETag"]

    # when: Redis stops, and the survey is done a week early (service), the preparation started (API)
    redis.stop()
    step_transition(step=survey, status=StepStatus.DONE, actor=chief)
    response = client.post(f"/api/v1/steps/{preparation.pk}/transition/", {"status": "in_progress"},
                           format="json", HTTP_IF_MATCH=etag)

    # then: both committed and answered; the replan is pending while Redis is away
    assert response.status_code in (200, 202), response.content
    assert Step.objects.get(pk=survey.pk).status == StepStatus.DONE
    assert Step.objects.get(pk=preparation.pk).status == StepStatus.IN_PROGRESS
    time.sleep(5)
    requested, completed = counters(merger)
    assert requested > completed
    assert Step.objects.get(pk=preparation.pk).planned_start == dt.date(2006, 3, 22)

    # when: Redis is back. The beat and the worker reconnect by themselves — or the worker has died on
    # the lost connection (kombu can fail while closing it: "'NoneType' object has no attribute
    # 'hostname'"), and is started again as compose's restart policy does
    redis.start()
    workers = [worker]

    def replanned() -> bool:
        if workers[-1].poll() is not None:
            workers.append(stack.worker(f"w{len(workers) + 1}"))
        return counters(merger)[1] >= requested

    took = wait_for(replanned, RECOVERY_SECONDS, "the replan was not done after Redis came back", *workers, beat)
    print(f"\nreplan done {took:.1f} s after Redis came back ({len(workers)} worker process(es))")
    assert Step.objects.get(pk=preparation.pk).planned_start == dt.date(2006, 3, 15)
    assert any("recompute sweep enqueued" in stack.log(w) for w in workers)


def _last_task_id(log: str, name: str) -> str:
    return re.findall(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] received", log)[-1]


def test_a_worker_killed_mid_replan_the_replan_completes_once(stack, plan):
    merger, chief = plan
    survey = Step.objects.get(runbook__merger=merger, key="1")
    before = planned(merger)
    events = set(Event.objects.filter(verb="step_rescheduled").values_list("pk", flat=True))
    slow = stack.worker("w1", slow_apply=120, CELERY_VISIBILITY_TIMEOUT="20")
    ready(stack, slow)

    # when: a change is committed and the worker is SIGKILLed mid-replan (noted, loaded, not written)
    step_transition(step=survey, status=StepStatus.DONE, actor=chief)
    requested, _ = counters(merger)
    wait_for(lambda: (stack.folder / "w1.in-replan").exists(), 30, "the replan did not start", slow)
    task_id = _last_task_id(stack.log(slow), "runbook.merger_recompute")  # the one killed
    stack.kill(slow)
    assert counters(merger)[1] < requested and planned(merger) == before

    # then: a new worker has it done within 90 s
    fresh = stack.worker("w2", CELERY_VISIBILITY_TIMEOUT="20")
    took = wait_for(lambda: counters(merger)[1] >= requested, RECOVERY_SECONDS,
                    "the replan was not done after the restart", fresh)
    print(f"\nreplan done {took:.1f} s after the new worker was started")
    # and the broker's redelivery of the killed task (after the visibility timeout) is a no-op
    wait_for(lambda: f"runbook.merger_recompute[{task_id}] succeeded" in stack.log(fresh), 90,
             "the killed task was not redelivered", fresh)
    after = planned(merger)
    moved = {pk for pk, dates in after.items() if dates != before[pk] and before[pk][0] is not None}
    assert moved
    new_events = list(Event.objects.filter(verb="step_rescheduled").exclude(pk__in=events)
                      .values_list("object_id", flat=True))
    assert sorted(new_events) == sorted(moved)  # one Event per moved step, none twice
    assert counters(merger) == (requested, requested)


def test_a_worker_killed_while_sending_a_digest_sends_it_once(stack, plan):
    merger, chief = plan
    hanging = stack.worker("w1", FAULT_MAIL_HANG="1", CELERY_VISIBILITY_TIMEOUT="15")
    ready(stack, hanging)

    # when: the mail server has the digest and the worker is SIGKILLed before the task returns
    sent = tasks.send_digests.apply_async(args=("2006-03-22",))
    wait_for(lambda: (stack.mail_dir / "hanging").exists(), 60, "the digest was not sent", hanging)
    stack.kill(hanging)
    assert len(stack.mails()) == 1
    assert NotificationSent.objects.get(user=chief).sent_at is not None

    # then: the broker redelivers the killed task to a new worker, and a further run comes: nothing more
    fresh = stack.worker("w2", CELERY_VISIBILITY_TIMEOUT="15")
    took = wait_for(lambda: f"runbook.send_digests[{sent.id}] succeeded" in stack.log(fresh), 90,
                    "the killed digest task was not redelivered", fresh)
    print(f"\nkilled digest task redelivered and run {took:.1f} s after the new worker was started")
    again = tasks.send_digests.apply_async(args=("2006-03-22",))
    wait_for(lambda: f"runbook.send_digests[{again.id}] succeeded" in stack.log(fresh), 60,
             "the second digest run did not finish", fresh)
    assert len(stack.mails()) == 1
    assert "'skipped': 1" in stack.log(fresh)


def test_a_run_never_waits_for_a_writer_holding_the_request(plan):
    merger, _ = plan
    _request_bump([merger.pk])  # a pending request the run will cover
    requested, completed = counters(merger)
    holding, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                _request_bump([merger.pk])  # the outbox bump of a change not yet committed: holds the row
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        t0 = time.monotonic()
        result = schedule_apply(merger)
        took = time.monotonic() - t0
    finally:
        release.set()
        thread.join(30)
    # the run rolled back instead of waiting: the writer's own task (or the sweep) replans
    assert result.skipped and took < 5
    assert counters(merger) == (requested + 1, completed)
    assert Runbook.objects.get(merger=merger).scheduled_at is not None
    assert not schedule_apply(merger).skipped
    assert counters(merger) == (requested + 1, requested + 1)
