"""Reads of plan editing: the merger's runbook, a step or dependency of it, a step's comment count, the steps
a dependency picker offers, and whether a replan is still to run."""
from __future__ import annotations

from django.db.models import Q

from municipalities.models import Merger
from runbook.models import Comment, Dependency, Runbook, ScheduleRequest, Step

#: How many matching steps the dependency picker shows at most (the rest: "refine the search").
PICKER_LIMIT = 20


def step_search(*, runbook_id: int, q: str, exclude_id: int | None = None, limit: int = PICKER_LIMIT):
    """Steps of one runbook matching every word of ``q`` in the key, either name, the municipality or the
    area, in runbook order: ``(steps, more)`` with at most ``limit`` steps and the count of the others
    (two queries; none for an empty ``q``). Each step comes with its municipality, vendor and phase, so
    that steps with the same name can be told apart."""
    words = q.split()
    if not words:
        return [], 0
    qs = Step.objects.filter(runbook_id=runbook_id)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    for word in words[:8]:
        qs = qs.filter(
            Q(key__icontains=word) | Q(name__icontains=word) | Q(name_en__icontains=word)
            | Q(assignee_municipality__name__icontains=word) | Q(domain__name__icontains=word)
        )
    steps = list(
        qs.select_related("phase", "assignee_municipality", "assignee_vendor")
        .order_by("phase__number", "sequence", "pk")[: limit + 1]
    )
    more = 0
    if len(steps) > limit:
        steps = steps[:limit]
        more = qs.count() - limit
    return steps, more


def replan_pending(merger_id: int) -> bool:
    """Whether a change to the merger's plan waits for its recompute (one query)."""
    row = ScheduleRequest.objects.filter(merger_id=merger_id).values_list("requested", "completed").first()
    return row is not None and row[0] > row[1]


def merger_runbook(merger: Merger) -> Runbook | None:
    """The merger's runbook, or None before it has one (one query)."""
    return Runbook.objects.filter(merger=merger).first()


def runbook_step(runbook_id: int, step_id) -> Step | None:
    """The step ``step_id`` if it is of the runbook ``runbook_id``, else None (one query)."""
    return Step.objects.filter(runbook_id=runbook_id, pk=step_id).first()


def step_dependency(step: Step, dependency_id: int) -> Dependency | None:
    """The dependency ``dependency_id`` of the step's runbook if the step is its successor or else its
    predecessor, with both steps (and the successor's runbook); None if neither (one or two queries)."""
    return (
        Dependency.objects.filter(pk=dependency_id, runbook_id=step.runbook_id)
        .filter(successor=step).select_related("predecessor", "successor__runbook").first()
        or Dependency.objects.filter(pk=dependency_id, runbook_id=step.runbook_id, predecessor=step)
        .select_related("predecessor", "successor__runbook").first()
    )


def comment_count(step: Step) -> int:
    """How many comments the step has (one query)."""
    return Comment.objects.filter(step=step).count()
