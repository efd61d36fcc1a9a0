"""Pinning a step's start from the timeline: "start no earlier than" (``Step.not_before``), which the
scheduling engine honours for steps still to start. Writes through ``services.step_update`` (permission,
version check, audit event and replan live there)."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from runbook.models import Step, StepStatus
from runbook.services import step_update

#: The statuses whose start the engine still places (and so honours ``not_before`` for).
PINNABLE = (StepStatus.NOT_STARTED, StepStatus.BLOCKED)


def can_pin(step: Step) -> bool:
    """May this step's start be pinned? Only while it has not started."""
    return step.status in PINNABLE


@transaction.atomic
def step_pin(*, step: Step, actor, not_before: dt.date | None, expected_version: int) -> Step:
    """Set (a date) or clear (None) the step's "start no earlier than"; refused for a step that has
    started or finished, and when someone else changed the step since ``expected_version``."""
    locked = Step.objects.select_for_update().get(pk=step.pk)
    if not_before is not None and not can_pin(locked) and locked.version == expected_version:
        raise ApplicationError(
            _("Only a step that has not started can be pinned; this one is “%(status)s”.")
            % {"status": locked.get_status_display()},
            field="not_before",
        )
    return step_update(step=locked, actor=actor, data={"not_before": not_before},
                       expected_version=expected_version)
