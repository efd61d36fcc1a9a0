"""The Celery tasks (eager here; tests/integration runs a real worker): names, periodic defaults, and that
each task is safe to run twice."""
import datetime as dt

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from audit.models import Event
from mergeplan.celery import app
from runbook import tasks
from runbook.models import ProgressSnapshot, Runbook, ScheduleRequest, Step, StepStatus
from runbook.services import step_transition, step_update
from tests.factories import merger_with_runbook

pytestmark = pytest.mark.django_db

NAMES = [
    "runbook.merger_recompute",
    "runbook.recompute_all",
    "runbook.detect_risks",
    "runbook.send_digests",
    "runbook.take_snapshots",
]


def test_tasks_are_named_with_time_limits():
    app.loader.import_default_modules()
    for name in NAMES:
        task = app.tasks[name]
        assert task.acks_late
        assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit


def test_periodic_defaults_installed_in_copenhagen_time():
    expected = {
        "runbook.recompute_all": ("2", "0"),
        "runbook.detect_risks": ("6", "0"),
        "runbook.send_digests": ("7", "0"),
        "runbook.take_snapshots": ("23", "30"),
    }
    for task, (hour, minute) in expected.items():
        periodic = PeriodicTask.objects.select_related("crontab").get(task=task)
        assert periodic.enabled
        assert (periodic.crontab.hour, periodic.crontab.minute) == (hour, minute)
        assert str(periodic.crontab.timezone) == "Europe/Copenhagen"


def test_a_status_change_recomputes_after_commit(merger, chief, django_capture_on_commit_callbacks):
    # given: a scheduled plan
    tasks.merger_recompute.delay(merger.pk)
    survey = Step.objects.get(runbook__merger=merger, key="1")
    assert survey.planned_finish == dt.date(2006, 3, 21)
    # when: the survey takes 10 days; the on-commit hook runs the (eager) task
    with django_capture_on_commit_callbacks(execute=True):
        step_update(step=survey, actor=chief, data={"duration_days": 10})
    # then
    assert Step.objects.get(pk=survey.pk).planned_finish == dt.date(2006, 3, 28)
    state = ScheduleRequest.objects.get(merger=merger)
    assert state.completed == state.requested >= 1


def test_merger_recompute_twice_is_harmless(merger):
    first = tasks.merger_recompute.delay(merger.pk).get()
    events = Event.objects.count()
    second = tasks.merger_recompute.delay(merger.pk).get()
    assert first["steps_changed"] > 0
    assert second == {"skipped": False, "steps_changed": 0, "events": 0}
    assert Event.objects.count() == events


def test_a_covered_request_exits_early(merger):
    # (instantiating the runbook already bumped the request counter, in its own transaction)
    ScheduleRequest.objects.update_or_create(merger=merger, defaults={"requested": 5, "completed": 5})
    assert tasks.merger_recompute.delay(merger.pk, 4).get()["skipped"]
    assert Runbook.objects.get(merger=merger).scheduled_at is None


def test_recompute_all_schedules_every_merger(chief):
    mergers = [merger_with_runbook(municipalities=2, domains=1) for _ in range(2)]
    result = tasks.recompute_all.delay().get()
    assert result["mergers"] == 2
    for m in mergers:
        state = ScheduleRequest.objects.get(merger=m)
        assert state.completed == state.requested == 2  # the instantiation's request, then the nightly one
    assert not Step.objects.filter(planned_finish__isnull=True).exists()


def test_detect_risks_twice(merger):
    tasks.merger_recompute.delay(merger.pk)
    first = tasks.detect_risks.delay(merger.pk, "2006-04-05").get()
    second = tasks.detect_risks.delay(None, "2006-04-05").get()
    assert first["at_risk"] > 0 and first["changed"] == first["at_risk"]
    assert second["changed"] == 0 and second["events"] == 0


def test_send_digests_twice_sends_once(merger, chief):
    tasks.merger_recompute.delay(merger.pk)
    assert tasks.send_digests.delay("2006-03-22").get()["sent"] == 1
    assert tasks.send_digests.delay("2006-03-22").get()["sent"] == 0
    assert len(mail.outbox) == 1


def test_take_snapshots_twice_keeps_one_per_day(merger, chief):
    tasks.merger_recompute.delay(merger.pk)
    tasks.take_snapshots.delay("2006-03-22")
    step_transition(step=Step.objects.get(runbook__merger=merger, key="1"), status=StepStatus.DONE, actor=chief)
    tasks.take_snapshots.delay("2006-03-22")
    snapshot = ProgressSnapshot.objects.get(runbook__merger=merger)
    assert snapshot.date == dt.date(2006, 3, 22) and snapshot.done_steps == 1
