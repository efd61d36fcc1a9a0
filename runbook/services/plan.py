"""The writes that add a step to a runbook by hand and take one out again (the IT chief's plan editing).

Kept apart from ``runbook.services`` (which changes steps that exist); the same rules apply: the permission
is checked here, the audit Event is written in the same transaction, and the merger is replanned after
commit.
"""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import Verb, step_created_event, step_deleted_event
from audit.models import Event
from core.exceptions import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    clean_or_refuse,
    refuse_unknown_fields,
)
from municipalities.models import Membership, Role
from municipalities.permissions import Action, merger_access
from runbook.models import CheckpointSignoff, Dependency, Phase, Runbook, Step, StepKind, StepStatus
from runbook.services import PLAN_FIELDS, plan_changed, target_date_check
from systems.models import Harmonisation

#: What a new step may be given besides the plan fields; everything else comes from the scheduler.
CREATE_FIELDS = (*PLAN_FIELDS, "phase", "kind", "domain", "responsible_role")

#: The key of a step added by hand: "ny-1", "ny-2" … in the order they were added. A number is never
#: used twice in a runbook, also after its step is deleted (audit history names steps by key).
KEY_PREFIX = "ny-"

_STARTED = (StepStatus.IN_PROGRESS, StepStatus.BLOCKED, StepStatus.DONE)


def _require_plan_editor(actor, merger_id: int) -> None:
    if not merger_access(actor, merger_id).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))


def _next_key(runbook: Runbook) -> str:
    """The next hand-made key of the runbook (call with the runbook locked): one more than the steps ever
    added by hand, stepping over any key taken already."""
    made = Event.objects.filter(
        merger_id=runbook.merger_id, verb=Verb.STEP_CREATED, content_type__app_label="runbook",
        content_type__model="step",
    ).count()
    taken = set(
        Step.objects.filter(runbook=runbook, key__startswith=KEY_PREFIX).values_list("key", flat=True)
    )
    n = made + 1
    while f"{KEY_PREFIX}{n}" in taken:
        n += 1
    return f"{KEY_PREFIX}{n}"


def _sequence_at_end_of(runbook: Runbook, phase: Phase) -> int:
    """The order number after the last step of ``phase`` (or after the phases before it when it has none).
    Pages order by phase first, so a tie with the next phase's first step does not reorder anything."""
    same = Step.objects.filter(runbook=runbook, phase=phase).order_by("-sequence").values_list("sequence", flat=True)
    last = same.first()
    if last is None:
        last = (
            Step.objects.filter(runbook=runbook, phase__number__lt=phase.number)
            .order_by("-sequence").values_list("sequence", flat=True).first()
        ) or 0
    return last + 1


def _responsible_role(data: dict) -> str:
    """Who answers for a new step unless the caller says: the municipality's coordinator, else the vendor's
    advisor, else the IT chief."""
    if data.get("responsible_role"):
        return data["responsible_role"]
    if data.get("assignee_municipality") is not None:
        return Role.COORDINATOR
    if data.get("assignee_vendor") is not None:
        return Role.VENDOR_ADVISOR
    return Role.IT_CHIEF


def _references_check(step: Step, runbook: Runbook) -> None:
    """The phase, wave, municipality and owner of a step belong to its runbook and merger."""
    if step.phase_id is None:
        raise ApplicationError(_("Choose a phase."), field="phase")
    if step.phase.template_id != runbook.template_id:
        raise ApplicationError(_("The phase does not belong to this runbook's template."), field="phase")
    if step.wave_id is not None and step.wave.runbook_id != runbook.pk:
        raise ApplicationError(_("The wave does not belong to this runbook."), field="wave")
    municipality = step.assignee_municipality_id
    if municipality is not None and not runbook.merger.members.filter(pk=municipality).exists():
        raise ApplicationError(_("The municipality is not a member of this merger."), field="assignee_municipality")
    if step.owner_id is not None and not Membership.objects.filter(
        merger_id=runbook.merger_id, user_id=step.owner_id
    ).exists():
        raise ApplicationError(_("The owner has no role in this merger."), field="owner")


@transaction.atomic
def step_create(*, runbook: Runbook, actor, data: dict) -> Step:
    """Add a step to ``runbook`` by hand (IT chief): a stable key of its own (``ny-N``), at the end of its
    phase, with the plan fields given; recorded, and the merger replanned after commit.

    Refuses unknown fields, a phase of another template, a wave of another runbook, a municipality outside
    the merger, an owner without a role in it, a milestone that takes time, and a target go-live on
    anything but a cutover or outside its go-live window (the message names the window).
    """
    refuse_unknown_fields(data, CREATE_FIELDS)
    runbook = Runbook.objects.select_for_update().select_related("merger").get(pk=runbook.pk)
    merger_id = runbook.merger_id
    _require_plan_editor(actor, merger_id)
    values = {k: v for k, v in data.items() if k != "responsible_role"}
    kind = values.get("kind") or StepKind.TASK
    if kind not in StepKind.values:
        raise ApplicationError(_("Unknown kind of step."), field="kind")
    values["kind"] = kind
    if kind == StepKind.MILESTONE and values.get("duration_days") is None:
        values["duration_days"] = 0
    if values.get("duration_days") is None:
        values.pop("duration_days", None)
    for name in ("name_en", "description", "plan_tag"):
        if values.get(name) is None:
            values.pop(name, None)
    step = Step(runbook=runbook, responsible_role=_responsible_role(data), **values)
    _references_check(step, runbook)
    if step.kind == StepKind.MILESTONE and step.duration_days != 0:
        raise ApplicationError(_("A milestone takes no time: its duration is 0."), field="duration_days")
    if step.domain_id is not None:
        step.harmonisation = (
            Harmonisation.objects.filter(merger_id=merger_id, domain_id=step.domain_id).order_by("pk").first()
        )
    target_date_check(step, step.target_date)
    step.key = _next_key(runbook)
    step.sequence = _sequence_at_end_of(runbook, step.phase)
    clean_or_refuse(step, exclude=["runbook", "template_step", "harmonisation", "conversion"])
    step.save()
    step_created_event(step=step, actor=actor, merger_id=merger_id)
    plan_changed(merger_id)
    return step


@transaction.atomic
def step_delete(*, step: Step, actor, expected_version: int | None = None) -> None:
    """Take a step out of the runbook (IT chief), with its dependencies, comments and baseline entries.

    Refused for a step that has begun (in progress, blocked, done, or with an actual start) and for a
    checkpoint with sign-offs: what happened stays on record; set such a step to skipped instead. The
    Event names the step's key and the predecessors and successors that went with it.
    """
    step = Step.objects.select_for_update().select_related("runbook").get(pk=step.pk)
    merger_id = step.runbook.merger_id
    _require_plan_editor(actor, merger_id)
    if expected_version is not None and expected_version != step.version:
        raise ConflictError(_("The step was changed by someone else. Reload and try again."), field="version")
    if step.status in _STARTED or step.actual_start is not None:
        raise ApplicationError(
            _("Work on this step has begun, so it stays on record: set its status to skipped instead."),
            field="status", code="started",
        )
    if CheckpointSignoff.objects.filter(step=step).exists():
        raise ApplicationError(
            _("This checkpoint has sign-offs, so it stays on record: set its status to skipped instead."),
            field="signoffs", code="signed",
        )
    predecessors = list(
        Dependency.objects.filter(successor=step).order_by("predecessor__sequence").values_list("predecessor__key", flat=True)
    )
    successors = list(
        Dependency.objects.filter(predecessor=step).order_by("successor__sequence").values_list("successor__key", flat=True)
    )
    changes = {"key": [step.key, None]}
    if predecessors:
        changes["predecessors"] = [predecessors, None]
    if successors:
        changes["successors"] = [successors, None]
    step_deleted_event(step=step, actor=actor, merger_id=merger_id, changes=changes)
    step.delete()
    plan_changed(merger_id)
