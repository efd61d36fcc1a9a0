"""A real Celery worker recomputes the schedule after a change.

The worker (tests/worker.py) is a subprocess on the configured broker with its own queue, and the test
database, which it sees because the test commits (``transaction=True``). The worker is always terminated.
"""
from __future__ import annotations

import datetime as dt

import pytest

from runbook.models import ScheduleRequest, Step, StepStatus
from runbook.services import step_transition
from tests.factories import UserFactory, merger_with_runbook
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    """Start a worker on a private queue; point this process's Celery app at the same broker and queue."""
    with celery_worker(tmp_path) as running:
        yield running


def test_worker_recomputes_after_a_status_change(settings, worker):
    settings.MERGEPLAN_RECOMPUTE_COUNTDOWN = 0.2
    chief = UserFactory(username="chief")
    # given: a merger whose runbook the worker schedules (instantiating it enqueued the first run)
    merger = merger_with_runbook(municipalities=2, domains=1, chief=chief)
    preparation = Step.objects.get(runbook__merger=merger, key="2-area0")
    wait_for(
        lambda: Step.objects.filter(pk=preparation.pk, planned_start=dt.date(2006, 3, 22)).exists(),
        worker, "the first schedule was not written",
    )
    # when: the survey is done on the planning date, a week early
    survey = Step.objects.get(runbook__merger=merger, key="1")
    step_transition(step=survey, status=StepStatus.DONE, actor=chief)
    # then: the worker moves its successor forward
    wait_for(
        lambda: Step.objects.filter(pk=preparation.pk, planned_start=dt.date(2006, 3, 16)).exists(),
        worker, "the worker did not recompute after the change",
    )
    state = ScheduleRequest.objects.get(merger=merger)
    assert state.completed == state.requested == 2
