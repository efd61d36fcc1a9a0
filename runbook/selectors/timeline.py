"""Reads of the timeline page: its steps, the dependencies between them and the plan's state (the
critical path, and whether a replan is still pending). A fixed number of queries whatever the size."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef

from municipalities.models import Merger
from runbook.models import Dependency, Runbook, ScheduleRequest, Step


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
