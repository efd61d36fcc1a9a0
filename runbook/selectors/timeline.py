"""Reads of the timeline page: its steps, the dependencies between them, the waves, the stored freeze
windows and the plan's state (the critical path, and whether a replan is still pending). A fixed number of
queries whatever the size."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q

from municipalities.models import Merger
from runbook.models import Dependency, FreezeWindow, Runbook, ScheduleRequest, Step, Wave
from runbook.selectors.step_pages import steps_filtered


@dataclass(frozen=True)
class PlanState:
    """The merger's runbook id, its critical path (step ids, first → last) and whether a change to the
    plan still waits for its replan."""

    runbook_id: int | None
    critical_path: tuple[int, ...]
    pending: bool


def timeline_steps(qs) -> list[Step]:
    """The steps of ``qs`` (already filtered) with what the chart shows, by phase and start (one query)."""
    return list(
        qs.select_related("phase")
        .order_by("phase__number", "planned_start", "sequence", "pk")
        .only("id", "key", "name", "name_en", "kind", "status", "planned_start", "planned_finish", "not_before",
              "version", "is_critical", "at_risk", "total_slack", "runbook__merger_id", "phase__number",
              "phase__name", "phase__name_en")
    )


def merger_timeline_steps(merger: Merger, filters: dict, user) -> list[Step]:
    """The merger's steps narrowed by the page's filters, as :func:`timeline_steps` loads them (one query)."""
    return timeline_steps(steps_filtered(Step.objects.filter(runbook__merger=merger), filters, user))


def merger_waves(merger: Merger) -> list[Wave]:
    """The waves of the merger's runbook by number (one query)."""
    return list(Wave.objects.filter(runbook__merger=merger).order_by("number"))


def freeze_windows(merger: Merger) -> list[dict]:
    """The stored freeze windows of the merger and the national ones, by start, as dicts with name, start,
    end, vendor__code, domain__code, merger_id, blocks (one query)."""
    return list(
        FreezeWindow.objects.filter(Q(merger=merger) | Q(merger__isnull=True))
        .order_by("start").values("name", "start", "end", "vendor__code", "domain__code", "merger_id", "blocks")
    )


def plan_state(merger: Merger) -> PlanState:
    """One query: the runbook, the critical path from its stored schedule summary, the pending request."""
    pending = ScheduleRequest.objects.filter(merger_id=OuterRef("merger_id"), requested__gt=F("completed"))
    row = (
        Runbook.objects.filter(merger=merger)
        .annotate(pending=Exists(pending))
        .values("pk", "schedule_summary__critical_path", "pending")
        .first()
    )
    if row is None:
        return PlanState(None, (), False)
    path = row["schedule_summary__critical_path"]
    ids = tuple(int(i) for i in path if isinstance(i, int)) if isinstance(path, list) else ()
    return PlanState(row["pk"], ids, bool(row["pending"]))


def dependencies(runbook_id: int | None) -> list[tuple[int, int, str]]:
    """(predecessor id, successor id, type) of every dependency of the runbook (one query; none without)."""
    if runbook_id is None:
        return []
    return list(
        Dependency.objects.filter(runbook_id=runbook_id)
        .order_by("pk")
        .values_list("predecessor_id", "successor_id", "type")
    )
