"""No dropped work (issue 11, item 2) without a broker: the request counter is the outbox, the sweep
enqueues what is pending, a replan run twice records nothing twice, a digest is sent at most once.

The same under real faults (Redis stopped, a worker SIGKILLed) is in tests/fault.
"""
import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from audit.models import Event
from mergeplan.celery import app
from runbook import notifications, tasks
from runbook.models import NotificationSent, ScheduleRequest, Step
from runbook.planning.apply import _apply, schedule_apply
from runbook.planning.counters import _requested_counters
from runbook.planning.fetch import graph_load
from runbook.planning.runs import recompute_sweep
from runbook.services import step_update

pytestmark = pytest.mark.django_db


def counters(merger):
    state = ScheduleRequest.objects.get(merger=merger)
    return state.requested, state.completed


def test_the_sweep_is_a_task_installed_every_minute():
    app.loader.import_default_modules()
    task = app.tasks["runbook.recompute_sweep"]
    assert task.acks_late and task.soft_time_limit < task.time_limit
    periodic = PeriodicTask.objects.select_related("interval").get(task="runbook.recompute_sweep")
    assert periodic.enabled and (periodic.interval.every, periodic.interval.period) == (60, "seconds")
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_the_request_commits_with_the_change_even_if_no_hook_runs(merger, chief):
    # given: a scheduled plan
    schedule_apply(merger)
    requested, completed = counters(merger)
    assert requested == completed
    survey = Step.objects.get(runbook__merger=merger, key="1")
    # when: a change is written and its process dies before any on-commit hook (none runs in this test)
    step_update(step=survey, actor=chief, data={"duration_days": 10})
    # then: the intent to replan is in the database with the change
    assert counters(merger) == (requested + 1, completed)
    # and the sweep, once the request is old enough, enqueues (eagerly: runs) it
    assert recompute_sweep() == []  # younger than MERGEPLAN_RECOMPUTE_SWEEP_AFTER
    ScheduleRequest.objects.filter(merger=merger).update(requested_at=timezone.now() - dt.timedelta(minutes=2))
    assert tasks.recompute_sweep.delay().get() == {"enqueued": [merger.pk]}
    assert counters(merger) == (requested + 1, requested + 1)
    assert Step.objects.get(pk=survey.pk).planned_finish == dt.date(2006, 3, 28)
    assert recompute_sweep(older_than=0) == []  # nothing pending


def test_a_rolled_back_change_leaves_no_request(merger, chief):
    schedule_apply(merger)
    before = counters(merger)
    survey = Step.objects.get(runbook__merger=merger, key="1")
    with pytest.raises(RuntimeError), transaction.atomic():
        step_update(step=survey, actor=chief, data={"duration_days": 10})
        raise RuntimeError
    assert counters(merger) == before


def test_a_broker_down_is_logged_and_the_write_succeeds(merger, chief, settings, caplog,
                                                        django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    schedule_apply(merger)
    requested, completed = counters(merger)
    survey = Step.objects.get(runbook__merger=merger, key="1")
    with mock.patch.object(tasks.merger_recompute, "apply_async", side_effect=ConnectionRefusedError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            step_update(step=survey, actor=chief, data={"duration_days": 10})
        assert recompute_sweep(older_than=0) == []  # still down: tried, nothing enqueued, nothing raised
    assert Step.objects.get(pk=survey.pk).duration_days == 10
    assert counters(merger) == (requested + 1, completed)
    assert "could not enqueue the recompute" in caplog.text


def test_the_sweep_waits_again_after_enqueuing(merger):
    ScheduleRequest.objects.filter(merger=merger).update(requested_at=timezone.now() - dt.timedelta(minutes=5))
    with mock.patch.object(tasks.merger_recompute, "apply_async") as enqueue:
        assert recompute_sweep() == [merger.pk]
        assert recompute_sweep() == []  # the re-enqueue moved requested_at: the next sweep waits again
    requested, _ = counters(merger)
    enqueue.assert_called_once_with(args=(merger.pk, requested), countdown=0)


def test_a_replan_twice_is_harmless(merger, chief):
    schedule_apply(merger)
    survey = Step.objects.get(runbook__merger=merger, key="1")
    step_update(step=survey, actor=chief, data={"duration_days": 10})
    requested, _ = counters(merger)
    events = Event.objects.filter(verb="step_rescheduled").count()
    # the task delivered twice, one after the other: the second exits
    first = tasks.merger_recompute.delay(merger.pk, requested).get()
    second = tasks.merger_recompute.delay(merger.pk, requested).get()
    assert first["events"] > 0 and second == {"skipped": True, "steps_changed": 0, "events": 0}
    assert Event.objects.filter(verb="step_rescheduled").count() == events + first["events"]


def test_two_runs_of_one_request_at_once_record_the_events_once(merger, chief):
    schedule_apply(merger)
    step_update(step=Step.objects.get(runbook__merger=merger, key="1"), actor=chief, data={"duration_days": 10})
    # given: two workers noted the same request and loaded the same graph (a redelivery, a sweep)
    noted, graph_a, graph_b = _requested_counters(), graph_load(merger.pk), graph_load(merger.pk)
    events = Event.objects.filter(verb="step_rescheduled").count()
    # when: both write, one after the other
    first = _apply(graph_a, compare_for=[merger.pk], noted=noted)
    second = _apply(graph_b, compare_for=[merger.pk], noted=noted)
    # then: the second writes nothing
    assert first.events > 0 and not first.skipped
    assert second.skipped
    assert Event.objects.filter(verb="step_rescheduled").count() == events + first.events
    requested, completed = counters(merger)
    assert requested == completed


# --- digests: at most once ------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it in the task runs (not an Exception: no handler catches it)."""


def test_a_digest_interrupted_after_sending_is_never_sent_again(merger, chief, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)
    schedule_apply(merger)
    real_send = notifications.send_mail

    def send_then_die(*args, **kwargs):
        real_send(*args, **kwargs)  # the mail server has the message
        raise WorkerKilled

    # given: the worker dies right after the mail server took the message
    with mock.patch.object(notifications, "send_mail", side_effect=send_then_die), pytest.raises(WorkerKilled):
        tasks.send_digests.delay("2006-03-22")
    assert len(mail.outbox) == 1
    # when: the task is redelivered at once, and again after the retry delay
    assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 0, "skipped": 1}
    NotificationSent.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 0, "skipped": 1}
    # then: one e-mail
    assert len(mail.outbox) == 1
    assert NotificationSent.objects.get(user=chief).sent_at is not None


def test_a_digest_refused_before_sending_is_sent_once_later(merger, chief, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)
    schedule_apply(merger)
    refused = smtplib.SMTPRecipientsRefused({chief.email: (550, b"mailbox busy")})
    with mock.patch.object(notifications, "send_mail", side_effect=refused):
        assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 0, "skipped": 0}
    record = NotificationSent.objects.get(user=chief)
    assert record.sent_at is None and mail.outbox == []
    assert tasks.send_digests.delay("2006-03-22").get()["resent"] == 0  # not before the retry delay
    NotificationSent.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 1, "skipped": 1}
    assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 0, "skipped": 1}
    assert len(mail.outbox) == 1


def test_a_digest_that_failed_mid_send_is_not_retried(merger, chief, settings):
    settings.MERGEPLAN_TODAY = dt.date(2006, 3, 22)
    schedule_apply(merger)
    with mock.patch.object(notifications, "send_mail", side_effect=smtplib.SMTPServerDisconnected("gone")):
        assert tasks.send_digests.delay("2006-03-22").get()["sent"] == 0
    NotificationSent.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert tasks.send_digests.delay("2006-03-22").get() == {"sent": 0, "resent": 0, "skipped": 1}
    assert mail.outbox == []  # it may have gone out: at most once
