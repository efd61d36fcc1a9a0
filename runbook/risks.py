"""Daily risk detection: which steps need attention, written to ``Step.at_risk`` / ``Step.risk_reasons``.

Reasons (each a dict ``{"code", "days", "date"}``; ``runbook.selectors.steps.risk_reason_message`` words them):

- ``overdue``: planned to finish before today and neither done nor skipped (``days`` late);
- ``slipping``: negative total slack — the step has slipped past its slack and pushes a deadline
  (``days`` past it);
- ``checkpoint_unsigned``: a go/no-go checkpoint without both 'go' sign-offs when fewer than
  ``MERGEPLAN_CHECKPOINT_NOTICE_DAYS`` (default 10) working days remain before its first cutover (the
  earliest planned start of a cutover right after it) or, without one, its own planned start (``date`` =
  the day it must be signed by);
- ``infeasible``: on a chain of the latest schedule that misses a deadline.

Writes in bulk only the steps whose flags changed, and an Event only where ``at_risk`` itself changed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from audit.events import build_step_risk_event, events_bulk_record
from audit.models import Event
from core.clock import today
from engine.calendar import WorkCalendar
from municipalities.models import Role
from runbook.models import (
    FINISHED_STATUSES,
    CheckpointSignoff,
    Dependency,
    Runbook,
    SignoffDecision,
    Step,
    StepKind,
    StepStatus,
)
from runbook.workdays import calendar_years

_INFEASIBLE_KINDS = ("deadline_missed", "gate_after_deadline")


def notice_days() -> int:
    """Working days before a cutover by which its checkpoint must be signed."""
    return int(getattr(settings, "MERGEPLAN_CHECKPOINT_NOTICE_DAYS", 10))


def step_risks(
    row: dict,
    *,
    on: dt.date,
    calendar: WorkCalendar,
    signed_go: set[str],
    first_cutover: dt.date | None,
    infeasible: bool,
) -> list[dict]:
    """The risk reasons of one step (a dict of its values), in a fixed order."""
    if row["status"] in FINISHED_STATUSES:
        return []
    reasons: list[dict] = []
    pf = row["planned_finish"]
    if pf is not None and pf < on:
        days = max(1, calendar.working_days_between(pf, on))
        reasons.append({"code": "overdue", "days": days, "date": pf.isoformat()})
    slack = row["total_slack"]
    if slack is not None and slack < 0:
        reasons.append({"code": "slipping", "days": -slack, "date": None})
    if row["status"] == StepStatus.BLOCKED and row.get("is_critical"):
        reasons.append({"code": "blocked_critical", "days": 0, "date": None})
    if row["kind"] == StepKind.CHECKPOINT:
        missing = {Role.IT_CHIEF, Role.VENDOR_ADVISOR} - signed_go
        target = first_cutover or row["planned_start"]
        if missing and target is not None:
            due = calendar.add_working_days(target, -notice_days())
            if on >= due:
                reasons.append({"code": "checkpoint_unsigned", "days": 0, "date": due.isoformat()})
    if infeasible:
        reasons.append({"code": "infeasible", "days": 0, "date": None})
    return reasons


def risks_detect(*, merger_id: int | None = None, on: dt.date | None = None) -> dict:
    """Flag the steps at risk in one merger (all when None) as of ``on`` (default today).

    Five queries to read whatever the size, then bulk writes of the changed steps and their Events.
    Running it twice changes nothing the second time.
    """
    on = on or today()
    steps = Step.objects.all() if merger_id is None else Step.objects.filter(runbook__merger_id=merger_id)
    rows = list(
        steps.values(
            "id", "runbook__merger_id", "name", "kind", "status", "planned_start", "planned_finish",
            "total_slack", "is_critical", "at_risk", "risk_reasons",
        )
    )
    ids = [r["id"] for r in rows]
    scope = {} if merger_id is None else {"step__runbook__merger_id": merger_id}
    signed: dict[int, set[str]] = defaultdict(set)
    for step_id, role in CheckpointSignoff.objects.filter(
        decision=SignoffDecision.GO, step__kind=StepKind.CHECKPOINT, **scope
    ).values_list("step_id", "role"):
        signed[step_id].add(role)
    dep_scope = {} if merger_id is None else {"runbook__merger_id": merger_id}
    first_cutover: dict[int, dt.date] = {}
    for pred, start in Dependency.objects.filter(
        predecessor__kind=StepKind.CHECKPOINT, successor__kind=StepKind.CUTOVER,
        successor__planned_start__isnull=False, **dep_scope,
    ).values_list("predecessor_id", "successor__planned_start"):
        if pred not in first_cutover or start < first_cutover[pred]:
            first_cutover[pred] = start
    rb_scope = {} if merger_id is None else {"merger_id": merger_id}
    infeasible: set[int] = set()
    for findings in Runbook.objects.filter(**rb_scope).values_list("schedule_findings", flat=True):
        for f in findings or []:
            if f.get("kind") in _INFEASIBLE_KINDS:
                infeasible.update(f.get("step_ids") or [])

    dates = [on, *(r["planned_finish"] for r in rows[:1]), *(first_cutover.values())]
    calendar = WorkCalendar.danish(calendar_years(dates))
    changed: list[Step] = []
    events: list[Event] = []
    ct = ContentType.objects.get_for_model(Step)
    flagged = 0
    for r in rows:
        reasons = step_risks(
            r,
            on=on,
            calendar=calendar,
            signed_go=signed.get(r["id"], set()),
            first_cutover=first_cutover.get(r["id"]),
            infeasible=r["id"] in infeasible,
        )
        at_risk = bool(reasons)
        flagged += at_risk
        if at_risk == r["at_risk"] and reasons == (r["risk_reasons"] or []):
            continue
        changed.append(Step(id=r["id"], at_risk=at_risk, risk_reasons=reasons))
        if at_risk != r["at_risk"]:
            events.append(
                build_step_risk_event(
                    step_type=ct,
                    step_id=r["id"],
                    step_name=r["name"],
                    merger_id=r["runbook__merger_id"],
                    before=r["at_risk"],
                    after=at_risk,
                    reasons=[x["code"] for x in reasons],
                )
            )
    with transaction.atomic():
        if changed:
            # updated_at too: the lists' ETag stamp (runbook/api/list_etags.py) reads max(updated_at)
            now = timezone.now()
            for step in changed:
                step.updated_at = now
            Step.objects.bulk_update(changed, ["at_risk", "risk_reasons", "updated_at"], batch_size=500)
        if events:
            events_bulk_record(events)
    return {"steps": len(ids), "at_risk": flagged, "changed": len(changed), "events": len(events)}
