"""Moving a step through its statuses under the rules, and what keeps a step from being done."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.events import diff, snapshot, step_status_changed_event
from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from municipalities.permissions import Action, merger_access
from runbook.models import FINISHED_STATUSES, DependencyType, Step, StepKind, StepStatus
from runbook.selectors.checkpoints import missing_go_message, missing_go_roles
from runbook.services.replan import plan_changed

#: Which status may follow which. Reopening a done step is allowed with a reason (an override).
TRANSITIONS: dict[str, set[str]] = {
    StepStatus.NOT_STARTED: {StepStatus.IN_PROGRESS, StepStatus.BLOCKED, StepStatus.DONE, StepStatus.SKIPPED},
    StepStatus.IN_PROGRESS: {StepStatus.DONE, StepStatus.BLOCKED, StepStatus.NOT_STARTED},
    StepStatus.BLOCKED: {StepStatus.IN_PROGRESS, StepStatus.NOT_STARTED, StepStatus.DONE},
    StepStatus.DONE: {StepStatus.IN_PROGRESS},
    StepStatus.SKIPPED: {StepStatus.NOT_STARTED},
}


def blocking_predecessors(dependencies) -> list[Step]:
    """Of already loaded incoming ``dependencies`` (with their predecessors), the predecessors that keep
    the successor from being done: finish-to-start ones not done or skipped, start-to-start ones not
    yet started."""
    blockers = []
    for dep in dependencies:
        pred = dep.predecessor
        if dep.type == DependencyType.START_TO_START:
            if pred.status in (StepStatus.NOT_STARTED, StepStatus.BLOCKED):
                blockers.append(pred)
        elif pred.status not in FINISHED_STATUSES:
            blockers.append(pred)
    return blockers


def step_blockers(step: Step) -> list[Step]:
    """Predecessors that keep ``step`` from being done (see ``blocking_predecessors``)."""
    return blocking_predecessors(
        step.predecessor_links.select_related("predecessor").order_by("predecessor__sequence")
    )


def checkpoint_missing_signoffs(step: Step) -> list[str]:
    """The roles whose 'go' a checkpoint still lacks (dual sign-off: IT chief and vendor advisor)."""
    return missing_go_roles(step.signoffs.all())



def blocker_names(blockers: list[Step]) -> str:
    """The first five blockers as "key name, …", with "and N more" when there are more."""
    names = ", ".join(f"{b.key} {b.display_name()}" for b in blockers[:5])
    more = len(blockers) - 5
    if more > 0:
        names = ngettext("%(names)s and %(n)d more", "%(names)s and %(n)d more", more) % {
            "names": names, "n": more}
    return names


@transaction.atomic
def step_transition(
    *,
    step: Step,
    status: str,
    actor,
    override_reason: str = "",
    reason: str = "",
    expected_version: int | None = None,
    check_permission: bool = True,
    confirmed: bool = True,
) -> Step:
    """Move a step to ``status`` under the rules, and record it.

    ``confirmed``: False when the caller (a page) has not yet confirmed that a step to be done is finished;
    finishing then asks for the confirmation instead (field ``confirm``).

    - Only the transitions in ``TRANSITIONS``; reopening a done step needs a reason.
    - Not done before its predecessors are done (and not before a checkpoint has both 'go' sign-offs),
      unless ``override_reason`` says why.
    - Blocking needs a ``reason``.
    - ``expected_version``: the version the caller read; a different one is a conflict, never an overwrite.
    Actual dates are set from the planning clock. Writes an Event and asks for a recompute.
    """
    step = Step.objects.select_for_update().select_related("runbook").get(pk=step.pk)
    merger_id = step.runbook.merger_id
    if check_permission and not merger_access(actor, merger_id).allows(Action.TRANSITION_STEP, step):
        raise PermissionDeniedError(_("You may not change the status of this step."))
    if expected_version is not None and expected_version != step.version:
        raise ConflictError(_("The step was changed by someone else. Reload and try again."), field="version")
    if status not in StepStatus.values:
        raise ApplicationError(_("Unknown status “%(status)s”.") % {"status": status}, field="status")
    if status == step.status:
        raise ApplicationError(_("The step already has this status."), field="status")
    if status not in TRANSITIONS[step.status]:
        raise ApplicationError(
            _("A step cannot go from “%(old)s” to “%(new)s”.")
            % {"old": StepStatus(step.status).label, "new": StepStatus(status).label},
            field="status",
        )
    override_reason = (override_reason or "").strip()
    reason = (reason or "").strip()
    if step.status == StepStatus.DONE and not (override_reason or reason):
        raise ApplicationError(_("Give a reason for reopening a done step."), field="override_reason")
    if status == StepStatus.BLOCKED and not reason:
        raise ApplicationError(_("Say what blocks the step."), field="reason")
    if status == StepStatus.DONE:
        blockers = step_blockers(step)
        if blockers and not override_reason:
            raise ApplicationError(
                _("Predecessors are not done: %(names)s. Give an override reason to finish anyway.")
                % {"names": blocker_names(blockers)},
                field="status",
                code="predecessors_not_done",
                extra={"blockers": [b.pk for b in blockers]},
            )
        if step.kind == StepKind.CHECKPOINT:
            missing = checkpoint_missing_signoffs(step)
            if missing and not override_reason:
                raise ApplicationError(
                    _("The checkpoint has not passed. %(missing)s Give an override reason to finish it anyway.")
                    % {"missing": missing_go_message(missing)},
                    field="status",
                    code="signoff_missing",
                )
        if not confirmed:
            raise ApplicationError(
                _("Confirm that the step is finished: tick the box and save again."),
                field="confirm", code="confirm_needed",
            )

    fields = ["status", "actual_start", "actual_finish", "override_reason"]
    before = snapshot(step, fields)
    on = today()
    step.status = status
    if status == StepStatus.IN_PROGRESS:
        step.actual_start = step.actual_start or on
        step.actual_finish = None
    elif status == StepStatus.DONE:
        step.actual_start = step.actual_start or on
        step.actual_finish = max(on, step.actual_start)
    elif status in (StepStatus.NOT_STARTED, StepStatus.SKIPPED):
        step.actual_start = step.actual_finish = None
    if override_reason:
        step.override_reason = override_reason
    step.version += 1
    step.full_clean(exclude=["runbook", "phase", "template_step", "key"], validate_unique=False)
    step.save(update_fields=[*fields, "version", "updated_at"])
    step_status_changed_event(
        step=step,
        actor=actor,
        merger_id=merger_id,
        changes=diff(before, snapshot(step, fields)),
        message=override_reason or reason,
    )
    plan_changed(merger_id)
    return step
