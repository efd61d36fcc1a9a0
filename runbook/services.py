"""The writes of the runbook. Views, the API, the admin and tasks call these; nothing else saves steps.

Every service runs in one transaction, writes its audit Event in it, and asks for a schedule
recompute after commit when the change affects the plan.
"""
from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.events import (
    calendar_entry_added_event,
    calendar_entry_changed_event,
    calendar_entry_removed_event,
    checkpoint_passed_event,
    checkpoint_signed_event,
    comment_added_event,
    dependency_added_event,
    dependency_removed_event,
    diff,
    runbook_instantiated_event,
    snapshot,
    step_status_changed_event,
    step_updated_event,
)
from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError, clean_or_refuse
from municipalities.models import Membership, Merger, Role
from municipalities.permissions import Action, merger_access
from systems.models import Conversion, Harmonisation

from .checkpoints import SIGNOFF_ROLES, missing_go_message, missing_go_roles  # noqa: F401 - re-exported
from .models import (
    CalendarRule,
    CheckpointSignoff,
    Comment,
    Dependency,
    DependencyType,
    Runbook,
    RunbookTemplate,
    Scope,
    SignoffDecision,
    Step,
    StepKind,
    StepStatus,
    TemplateDependency,
)
from .work_selectors import steps_concerning


def plan_changed(merger_id: int) -> None:
    """Ask for a recompute of the merger's schedule once the current transaction commits."""
    from .planning.enqueue import recompute_enqueue

    recompute_enqueue(merger_id)


# --- Instantiation --------------------------------------------------------------------------------


def _area_key(h: Harmonisation) -> str:
    return h.domain.code


def _conversion_key(c: Conversion) -> str:
    return f"{c.harmonisation.domain.code}-{c.source_instance.municipality.code}"


def _is_data_area(domain) -> bool:
    """An area with conversions of its own: it holds data and is not converted centrally (as CPR is)."""
    return domain.holds_data and not domain.central_conversion


def _area_step_names(ts, h: Harmonisation) -> tuple[str, str, str]:
    """Danish name, English name and description of an area-scoped copy of ``ts``.

    The cutover of a centrally converted area (CPR) is no conversion of its own: locally its interfaces
    are re-pointed to the new municipality code.
    """
    domain = h.domain
    name_en_area = domain.name_en or domain.name
    if ts.kind == StepKind.CUTOVER and domain.central_conversion:
        return (
            f"Peg snitfladerne om: {domain.name}",
            f"Re-point the interfaces: {name_en_area}",
            "Konverteres centralt; lokalt peges snitfladerne om til den nye kommunekode.",
        )
    return f"{ts.name}: {domain.name}", f"{ts.name_en or ts.name}: {name_en_area}", ts.description


def _interface_area_pairs(merger: Merger) -> list[tuple[str, str]]:
    """(source area, target area) of every recorded interface between two of the merger's members'
    instances whose systems lie in different areas, deduplicated, in a stable order."""
    from systems.models import Interface

    members = list(merger.members.values_list("pk", flat=True))
    rows = (
        Interface.objects.filter(source__municipality__in=members, target__municipality__in=members)
        .values_list("source__system__domain__code", "target__system__domain__code")
        .order_by("pk")
    )
    pairs: list[tuple[str, str]] = []
    for source, target in rows:
        if source != target and (source, target) not in pairs:
            pairs.append((source, target))
    return pairs


@transaction.atomic
def runbook_instantiate(*, merger: Merger, template: RunbookTemplate, actor=None) -> Runbook:
    """Create the merger's runbook from a drejebog template and the harmonisation decisions.

    Template steps scoped "merger" become one step; "area" steps one per harmonisation (domain), or only
    per area that holds data and is not converted centrally when the template step says
    ``data_areas_only``; "conversion" steps one per conversion. Direction, ``needs_users`` and the plan tag
    are copied. Template dependencies (type and lag kept) are wired between the copies: within the same
    area or conversion where both sides have one, fanned out or in where scopes differ; a dependency with
    an ``area`` takes only that area's copies of its area-bound side. Finally every recorded interface
    between two members' instances in different areas A → B makes B's cutover finish no earlier than A's
    (finish-to-finish, lag 0): a system that feeds on another goes live with it or after it.
    """
    if Runbook.objects.filter(merger=merger).exists():
        raise ApplicationError(_("This merger already has a runbook."), field="merger")

    runbook = Runbook.objects.create(merger=merger, template=template)
    harmonisations = list(
        merger.harmonisations.select_related("domain", "target_system__vendor").order_by("domain__position", "pk")
    )
    conversions = list(
        Conversion.objects.filter(harmonisation__merger=merger)
        .select_related("harmonisation__domain", "harmonisation__target_system__vendor", "source_instance__municipality")
        .order_by("harmonisation__domain__position", "source_instance__municipality__code", "pk")
    )
    chief = (
        Membership.objects.filter(merger=merger, role=Role.IT_CHIEF).order_by("pk").values_list("user_id", flat=True)
    ).first()
    template_steps = list(template.steps.select_related("phase").order_by("number"))
    domain_code = {h.pk: h.domain.code for h in harmonisations}

    new_steps: list[Step] = []
    # (template step id) -> list of (scope, harmonisation id | conversion | None, Step)
    copies: dict[int, list[tuple[str, object, Step]]] = defaultdict(list)
    sequence = 0
    for ts in template_steps:
        base = {
            "runbook": runbook,
            "template_step": ts,
            "phase": ts.phase,
            "kind": ts.kind,
            "duration_days": ts.duration_days,
            "responsible_role": ts.responsible_role,
            "post_merger": ts.post_merger,
            "direction": ts.direction,
            "needs_users": ts.needs_users,
            "plan_tag": ts.plan_tag,
            "owner_id": chief if ts.responsible_role == Role.IT_CHIEF else None,
        }
        if ts.scope == Scope.MERGER:
            sequence += 1
            step = Step(
                key=str(ts.number), sequence=sequence, name=ts.name, name_en=ts.name_en,
                description=ts.description, **base,
            )
            copies[ts.pk].append(("merger", None, step))
            new_steps.append(step)
        elif ts.scope == Scope.AREA:
            for h in harmonisations:
                if ts.data_areas_only and not _is_data_area(h.domain):
                    continue
                sequence += 1
                name, name_en, description = _area_step_names(ts, h)
                step = Step(
                    key=f"{ts.number}-{_area_key(h)}",
                    sequence=sequence,
                    name=name,
                    name_en=name_en,
                    description=description,
                    domain=h.domain,
                    harmonisation=h,
                    assignee_vendor=h.target_system.vendor,
                    **base,
                )
                copies[ts.pk].append(("area", h.pk, step))
                new_steps.append(step)
        else:
            for c in conversions:
                h = c.harmonisation
                if ts.data_areas_only and not _is_data_area(h.domain):
                    continue
                sequence += 1
                label = f"{c.source_instance.municipality.name} → {h.target_system.name}"
                step = Step(
                    key=f"{ts.number}-{_conversion_key(c)}",
                    sequence=sequence,
                    name=f"{ts.name}: {label}",
                    name_en=f"{ts.name_en or ts.name}: {label}",
                    description=ts.description,
                    domain=h.domain,
                    harmonisation=h,
                    conversion=c,
                    assignee_municipality=c.source_instance.municipality,
                    assignee_vendor=h.target_system.vendor,
                    **base,
                )
                copies[ts.pk].append(("conversion", c, step))
                new_steps.append(step)
    Step.objects.bulk_create(new_steps, batch_size=500)

    def area_of(scope: str, ref) -> int | None:
        if scope == "area":
            return ref
        if scope == "conversion":
            return ref.harmonisation_id
        return None

    deps: list[Dependency] = []
    for td in TemplateDependency.objects.filter(successor__template=template).order_by("pk"):
        for p_scope, p_ref, p_step in copies[td.predecessor_id]:
            p_area = area_of(p_scope, p_ref)
            if td.area and p_area is not None and domain_code[p_area] != td.area:
                continue
            for s_scope, s_ref, s_step in copies[td.successor_id]:
                if p_scope == s_scope == "conversion" and p_ref.pk != s_ref.pk:
                    continue
                s_area = area_of(s_scope, s_ref)
                if td.area and s_area is not None and domain_code[s_area] != td.area:
                    continue
                if p_area is not None and s_area is not None and p_area != s_area:
                    continue
                deps.append(
                    Dependency(
                        runbook=runbook, predecessor=p_step, successor=s_step, type=td.type, lag_days=td.lag_days
                    )
                )

    # interfaces: the receiving area's cutover finishes with or after the sending area's
    edges: dict[int, list[int]] = defaultdict(list)
    for d in deps:
        edges[d.predecessor.pk].append(d.successor.pk)
    cutovers = {
        s.domain.code: s for s in new_steps if s.kind == StepKind.CUTOVER and s.domain is not None
    }
    for source, target in _interface_area_pairs(merger):
        pred, succ = cutovers.get(source), cutovers.get(target)
        if pred is None or succ is None or succ.pk in edges[pred.pk] or _find_path(edges, succ.pk, pred.pk):
            continue  # an area without a cutover, or the reverse feed is wired already (no cycles)
        deps.append(
            Dependency(
                runbook=runbook, predecessor=pred, successor=succ, type=DependencyType.FINISH_TO_FINISH, lag_days=0
            )
        )
        edges[pred.pk].append(succ.pk)
    Dependency.objects.bulk_create(deps, batch_size=1000)
    runbook_instantiated_event(
        runbook=runbook, actor=actor, steps=len(new_steps), dependencies=len(deps), template=template
    )
    plan_changed(merger.pk)
    return runbook


# --- Dependencies ---------------------------------------------------------------------------------


def _find_path(edges: dict[int, list[int]], start: int, goal: int) -> list[int] | None:
    """A path start → … → goal in the graph, or None (iterative DFS, deterministic)."""
    stack = [(start, [start])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in sorted(edges.get(node, ()), reverse=True):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


@transaction.atomic
def dependency_add(
    *, predecessor: Step, successor: Step, type: str = DependencyType.FINISH_TO_START, lag_days: int = 0, actor=None
) -> Dependency:
    """Make ``successor`` wait for ``predecessor`` (IT chief). Rejects other runbooks, duplicates and cycles;
    a cycle is named in the message."""
    if predecessor.runbook_id != successor.runbook_id:
        raise ApplicationError(_("Both steps must belong to the same runbook."), field="successor")
    if not merger_access(actor, successor.runbook.merger_id).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))
    if predecessor.pk == successor.pk:
        raise ApplicationError(_("A step cannot depend on itself."), field="successor")
    if Dependency.objects.filter(predecessor=predecessor, successor=successor).exists():
        raise ApplicationError(_("This dependency exists already."), field="successor")
    # lock the runbook so two concurrent additions cannot create a cycle between them
    Runbook.objects.select_for_update().filter(pk=predecessor.runbook_id).first()
    edges: dict[int, list[int]] = defaultdict(list)
    for p, s in Dependency.objects.filter(runbook_id=predecessor.runbook_id).values_list(
        "predecessor_id", "successor_id"
    ):
        edges[p].append(s)
    path = _find_path(edges, successor.pk, predecessor.pk)
    if path is not None:
        names = dict(Step.objects.filter(pk__in=path).values_list("pk", "key"))
        cycle = " → ".join(names[pk] for pk in [*path, successor.pk])
        raise ApplicationError(
            _("This dependency would create a cycle: %(cycle)s") % {"cycle": cycle},
            field="predecessor",
            code="cycle",
            extra={"cycle": [*path, successor.pk]},
        )
    dependency = Dependency.objects.create(
        runbook_id=predecessor.runbook_id, predecessor=predecessor, successor=successor, type=type, lag_days=lag_days
    )
    dependency_added_event(
        predecessor=predecessor, successor=successor, actor=actor, merger_id=successor.runbook.merger_id
    )
    plan_changed(successor.runbook.merger_id)
    return dependency


@transaction.atomic
def dependency_remove(*, dependency: Dependency, actor=None) -> None:
    """Remove a dependency (IT chief); recorded on the successor."""
    successor = dependency.successor
    merger_id = successor.runbook.merger_id
    if not merger_access(actor, merger_id).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))
    dependency_removed_event(
        predecessor=dependency.predecessor, successor=successor, actor=actor, merger_id=merger_id
    )
    dependency.delete()
    plan_changed(merger_id)


# --- Status ---------------------------------------------------------------------------------------

#: Which status may follow which. Reopening a done step is allowed with a reason (an override).
TRANSITIONS: dict[str, set[str]] = {
    StepStatus.NOT_STARTED: {StepStatus.IN_PROGRESS, StepStatus.BLOCKED, StepStatus.DONE, StepStatus.SKIPPED},
    StepStatus.IN_PROGRESS: {StepStatus.DONE, StepStatus.BLOCKED, StepStatus.NOT_STARTED},
    StepStatus.BLOCKED: {StepStatus.IN_PROGRESS, StepStatus.NOT_STARTED, StepStatus.DONE},
    StepStatus.DONE: {StepStatus.IN_PROGRESS},
    StepStatus.SKIPPED: {StepStatus.NOT_STARTED},
}
_FINISHED = {StepStatus.DONE, StepStatus.SKIPPED}


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
        elif pred.status not in _FINISHED:
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
            names = ", ".join(f"{b.key} {b.display_name()}" for b in blockers[:5])
            more = len(blockers) - 5
            if more > 0:
                names = ngettext("%(names)s and %(n)d more", "%(names)s and %(n)d more", more) % {
                    "names": names, "n": more}
            raise ApplicationError(
                _("Predecessors are not done: %(names)s. Give an override reason to finish anyway.")
                % {"names": names},
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


PLAN_FIELDS = ("name", "name_en", "description", "duration_days", "owner", "assignee_municipality",
               "assignee_vendor", "post_merger", "deadline", "not_before", "wave", "direction", "needs_users",
               "plan_tag", "target_date")


def go_live_window_of(step: Step, merger: Merger):
    """The window [gate, deadline] a cutover may go live in under the merger's current dispensation state
    (scenario "actual") and its area's binding."""
    from engine import Scenario, go_live_window

    from .workdays import danish_calendar as _calendar

    domain = step.domain
    gate, deadline = go_live_window(
        binding=domain.binding if domain is not None else None,
        scenario=Scenario.ACTUAL,
        legal_date=merger.legal_date,
        dispensation_date=merger.dispensation_date,
        dispensation_granted=merger.dispensation_granted,
        status_date=today(),
        latest=domain.binding_latest if domain is not None else None,
    )
    # in working days: the first working day on or after each end (the legal date's is its first working day)
    last = deadline or gate
    cal = _calendar(min(gate, last).year - 1, max(gate, last).year + 1)
    return cal.next_working_day(gate), (cal.next_working_day(deadline) if deadline else None)


def _target_date_check(step: Step, target) -> None:
    """A target go-live belongs to a cutover and lies in its go-live window."""
    if target is None:
        return
    if step.kind != StepKind.CUTOVER:
        raise ApplicationError(_("Only a cutover has a target go-live."), field="target_date")
    from django.utils.formats import date_format

    from systems.models import LegalBinding

    merger = Merger.objects.get(pk=step.runbook.merger_id)
    gate, deadline = go_live_window_of(step, merger)
    if target < gate or (deadline is not None and target > deadline):
        binding = str(LegalBinding(step.domain.binding if step.domain is not None else "dispensation").label).lower()
        if deadline is None:
            raise ApplicationError(
                _("The target must lie on or after %(start)s (the area's binding: %(binding)s).")
                % {"start": date_format(gate), "binding": binding},
                field="target_date",
            )
        raise ApplicationError(
            _("The target must lie in the window %(start)s – %(end)s (the area's binding: %(binding)s).")
            % {"start": date_format(gate), "end": date_format(deadline), "binding": binding},
            field="target_date",
        )


@transaction.atomic
def step_update(*, step: Step, actor, data: dict, expected_version: int | None = None) -> Step:
    """Change a step's plan fields (IT chief). Rejects unknown fields; records what changed."""
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    step = Step.objects.select_for_update().select_related("runbook").get(pk=step.pk)
    merger_id = step.runbook.merger_id
    if not merger_access(actor, merger_id).allows(Action.EDIT_PLAN):
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))
    if expected_version is not None and expected_version != step.version:
        raise ConflictError(_("The step was changed by someone else. Reload and try again."), field="version")
    before = snapshot(step, data)
    for name, value in data.items():
        setattr(step, name, value)
    if step.plan_tag is None:
        step.plan_tag = ""
    if "target_date" in data and data["target_date"] != before["target_date"]:
        _target_date_check(step, data["target_date"])
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


# --- Checkpoints and comments ---------------------------------------------------------------------


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
    if step.status in _FINISHED:
        raise ApplicationError(_("The checkpoint is closed already."), field="step")
    blockers = step_blockers(step)
    if blockers and not override_reason:
        names = ", ".join(f"{b.key} {b.display_name()}" for b in blockers[:5])
        if len(blockers) > 5:
            names = ngettext("%(names)s and %(n)d more", "%(names)s and %(n)d more", len(blockers) - 5) % {
                "names": names, "n": len(blockers) - 5}
        raise ApplicationError(
            _("The checkpoint's predecessors are not done: %(names)s. Decide when they are, or give an "
              "override reason to decide now.") % {"names": names},
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


@transaction.atomic
def comment_add(*, step: Step, author, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write a comment."), field="body")
    if len(body) > 10_000:
        raise ApplicationError(_("The comment is too long (at most 10,000 characters)."), field="body")
    merger_id = step.runbook.merger_id
    if not merger_access(author, merger_id).allows(Action.COMMENT):
        raise PermissionDeniedError(_("You may not comment in this merger."))
    comment = Comment.objects.create(step=step, author=author, body=body)
    comment_added_event(step=step, actor=author, merger_id=merger_id, body=body)
    return comment


def steps_for_user(user, merger: Merger):
    """Steps of a merger that concern the user (the one definition: ``work_selectors.step_concerns``)."""
    return steps_concerning(user, {merger.pk: merger_access(user, merger.pk)})


# --- Freeze windows and calendar rules --------------------------------------------------------------

FREEZE_FIELDS = ("name", "start", "end", "vendor", "domain", "merger", "is_inferred", "blocks")
RULE_FIELDS = ("name", "kind", "blocks", "domain", "vendor", "merger", "days", "week_from", "week_to", "month_from",
               "day_from", "month_to", "day_to", "is_inferred", "is_active", "note")


def calendar_may_change(actor, merger_id: int | None) -> bool:
    """A merger's own windows and rules are its IT chief's; national ones (merger None) are staff's."""
    if actor is None:
        return True
    if merger_id is None:
        return bool(getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False))
    return merger_access(actor, merger_id).allows(Action.EDIT_PLAN)


def _calendar_require(actor, merger_id: int | None) -> None:
    if not calendar_may_change(actor, merger_id):
        if merger_id is None:
            raise PermissionDeniedError(_("Only staff may change the national calendar."))
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))


def _calendar_replan(merger_ids) -> None:
    """Replan the mergers a window or rule concerns (None: every merger with a runbook)."""
    ids: set[int] = set()
    for merger_id in merger_ids:
        if merger_id is None:
            ids |= set(Runbook.objects.values_list("merger_id", flat=True))
        else:
            ids.add(merger_id)
    for merger_id in sorted(ids):
        plan_changed(merger_id)


def calendar_rule_check(rule) -> None:
    from .models import RuleKind

    if rule.kind == RuleKind.SUMMER_HOLIDAY:
        for name in ("week_from", "week_to"):
            value = getattr(rule, name)
            if value is None or not 1 <= value <= 53:
                raise ApplicationError(_("Give an ISO week from 1 to 53."), field=name)
        if rule.week_to < rule.week_from:
            raise ApplicationError(_("The last week cannot come before the first week."), field="week_to")
    elif rule.kind in (RuleKind.PAYROLL_RUN, RuleKind.PAYOUT_RUN):
        if not rule.days or not 1 <= rule.days <= 20:
            raise ApplicationError(_("Give a number of working days from 1 to 20."), field="days")
    elif rule.kind == RuleKind.YEAR_END:
        import datetime as dt

        for month, day in (("month_from", "day_from"), ("month_to", "day_to")):
            m, d = getattr(rule, month), getattr(rule, day)
            if m is None or not 1 <= m <= 12:
                raise ApplicationError(_("Give a month from 1 to 12."), field=month)
            try:
                dt.date(2008, m, d or 0)  # a leap year: 29 February is a day
            except (TypeError, ValueError):
                raise ApplicationError(_("Give a day that exists in that month."), field=day) from None


def _calendar_clean(obj) -> None:
    if isinstance(obj, CalendarRule):
        calendar_rule_check(obj)
    elif obj.start and obj.end and obj.end < obj.start:
        raise ApplicationError(_("The last day cannot come before the first day."), field="end")
    clean_or_refuse(obj)


@transaction.atomic
def calendar_entry_save(*, model, obj=None, actor, data: dict):
    """Create (``obj`` None) or change a freeze window or calendar rule (``model`` FreezeWindow or
    CalendarRule). A merger's own: its IT chief; national: staff. Recorded; the mergers it concerns are
    replanned after commit."""
    fields = RULE_FIELDS if model is CalendarRule else FREEZE_FIELDS
    unknown = set(data) - set(fields)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    creating = obj is None
    obj = model() if creating else model.objects.select_for_update().get(pk=obj.pk)
    old_merger = None if creating else obj.merger_id
    if not creating:
        _calendar_require(actor, old_merger)
    before = {} if creating else snapshot(obj, fields)
    for name, value in data.items():
        setattr(obj, name, value)
    if getattr(obj, "note", "") is None:
        obj.note = ""
    _calendar_require(actor, obj.merger_id)
    _calendar_clean(obj)
    changes = diff(before, snapshot(obj, fields))
    if not changes:
        return obj
    obj.save()
    record = calendar_entry_added_event if creating else calendar_entry_changed_event
    record(entry=obj, actor=actor, changes=changes)
    _calendar_replan({obj.merger_id} if creating or old_merger == obj.merger_id else {obj.merger_id, old_merger})
    return obj


@transaction.atomic
def calendar_entry_delete(*, obj, actor) -> None:
    """Remove a freeze window or calendar rule (same rights as changing it)."""
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    _calendar_require(actor, obj.merger_id)
    calendar_entry_removed_event(entry=obj, actor=actor)
    merger_id = obj.merger_id
    obj.delete()
    _calendar_replan({merger_id})
