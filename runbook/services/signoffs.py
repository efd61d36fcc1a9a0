"""Go/no-go decisions on checkpoints: signing in one's role, and passing once both roles said go."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.events import checkpoint_passed_event, checkpoint_signed_event, diff, snapshot
from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError, clean_or_refuse
from municipalities.permissions import Action, merger_access
from runbook.models import FINISHED_STATUSES, CheckpointSignoff, SignoffDecision, Step, StepKind, StepStatus
from runbook.selectors.checkpoints import missing_go_roles
from runbook.services.replan import plan_changed
from runbook.services.status import blocker_names, step_blockers


@transaction.atomic
def checkpoint_sign(
    *, step: Step, actor, decision: str, comment: str = "", override_reason: str = "",
    expected_version: int | None = None,
) -> CheckpointSignoff:
    """Give a go/no-go decision on a checkpoint in the actor's role (IT chief or vendor advisor).

    - Only once the checkpoint's predecessors are done (or skipped): a rehearsal is decided after it took
      place. Before that only with ``override_reason``, which is kept on the sign-off and in the event.
    - A no go needs a comment (why). Signing again replaces the role's earlier decision ("change my
      decision"); the same decision twice is refused.
    - When both ``SIGNOFF_ROLES`` have said go, the checkpoint passes: done, finished on the planning date.
    - ``expected_version``: the checkpoint's version the caller read; another one is a conflict.
    """
    step = Step.objects.select_for_update().select_related("runbook").get(pk=step.pk)
    if step.kind != StepKind.CHECKPOINT:
        raise ApplicationError(_("Only checkpoints are signed."), field="step")
    merger_id = step.runbook.merger_id
    access = merger_access(actor, merger_id)
    role = access.signing_role()
    if role is None or not access.allows(Action.SIGN_CHECKPOINT, step):
        raise PermissionDeniedError(_("Only the IT chief and the vendor advisor sign checkpoints."))
    if expected_version is not None and expected_version != step.version:
        raise ConflictError(_("The checkpoint was changed by someone else. Reload and try again."), field="version")
    if decision not in SignoffDecision.values:
        raise ApplicationError(_("Choose go or no go."), field="decision")
    comment = (comment or "").strip()
    override_reason = (override_reason or "").strip()
    if decision == SignoffDecision.NO_GO and not comment:
        raise ApplicationError(_("Say why the answer is no go."), field="comment")
    if step.status in FINISHED_STATUSES:
        raise ApplicationError(_("The checkpoint is closed already."), field="step")
    blockers = step_blockers(step)
    if blockers and not override_reason:
        raise ApplicationError(
            _("The checkpoint's predecessors are not done: %(names)s. Decide when they are, or give an "
              "override reason to decide now.") % {"names": blocker_names(blockers)},
            field="override_reason",
            code="predecessors_not_done",
            extra={"blockers": [b.pk for b in blockers]},
        )
    if not blockers:
        override_reason = ""  # nothing was overridden
    previous = step.signoffs.filter(role=role).first()
    if previous is not None and previous.decision == decision and previous.comment == comment:
        raise ApplicationError(_("You have given this decision already."), field="decision")
    signoff, _created = CheckpointSignoff.objects.update_or_create(
        step=step, role=role,
        defaults={"user": actor, "decision": decision, "comment": comment, "override_reason": override_reason,
                  "signed_at": timezone.now()},
    )
    changes = {f"signoff_{role}": [previous.decision if previous else None, decision]}
    if override_reason:
        changes["override_reason"] = [None, override_reason]
    step.version += 1
    step.save(update_fields=["version", "updated_at"])
    checkpoint_signed_event(step=step, actor=actor, merger_id=merger_id, changes=changes, comment=comment)
    if not missing_go_roles(step.signoffs.all()):
        _checkpoint_pass(step, actor=actor, merger_id=merger_id)
    return signoff


def _checkpoint_pass(step: Step, *, actor, merger_id: int) -> None:
    """Both roles said go: the checkpoint is done, finished on the planning date; the plan follows."""
    fields = ["status", "actual_start", "actual_finish"]
    before = snapshot(step, fields)
    on = today()
    step.status = StepStatus.DONE
    step.actual_start = step.actual_start or on
    step.actual_finish = max(on, step.actual_start)
    clean_or_refuse(step, exclude=["runbook", "phase", "template_step", "key"])
    step.save(update_fields=[*fields, "updated_at"])
    checkpoint_passed_event(step=step, actor=actor, merger_id=merger_id, changes=diff(before, snapshot(step, fields)))
    plan_changed(merger_id)

