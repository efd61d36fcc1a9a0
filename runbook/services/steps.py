"""Changing a step's plan fields (the IT chief's plan editing of a step that exists)."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import assign, diff, snapshot, step_updated_event
from core.exceptions import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    clean_or_refuse,
    refuse_unknown_fields,
)
from municipalities.permissions import Action, merger_access
from runbook.models import Step, StepKind
from runbook.services.golive import target_date_check
from runbook.services.replan import plan_changed

PLAN_FIELDS = ("name", "name_en", "description", "duration_days", "owner", "assignee_municipality",
               "assignee_vendor", "post_merger", "deadline", "not_before", "wave", "direction", "needs_users",
               "plan_tag", "target_date")


@transaction.atomic
def step_update(*, step: Step, actor, data: dict, expected_version: int | None = None) -> Step:
    """Change a step's plan fields (IT chief). Rejects unknown fields; records what changed."""
    refuse_unknown_fields(data, PLAN_FIELDS)
    step = Step.objects.select_for_update().select_related("runbook").get(pk=step.pk)
    merger_id = step.runbook.merger_id
    if not merger_access(actor, merger_id).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))
    if expected_version is not None and expected_version != step.version:
        raise ConflictError(_("The step was changed by someone else. Reload and try again."), field="version")
    before = assign(step, data)
    if step.plan_tag is None:
        step.plan_tag = ""
    if "target_date" in data and data["target_date"] != before["target_date"]:
        target_date_check(step, data["target_date"])
    if step.kind == StepKind.MILESTONE and step.duration_days != 0:
        raise ApplicationError(_("A milestone takes no time: its duration is 0."), field="duration_days")
    clean_or_refuse(step, exclude=["runbook", "phase", "template_step"])
    changes = diff(before, snapshot(step, data))
    if not changes:
        return step
    step.version += 1
    step.save(update_fields=[*data, "version", "updated_at"])
    step_updated_event(step=step, actor=actor, merger_id=merger_id, changes=changes)
    plan_changed(merger_id)
    return step

