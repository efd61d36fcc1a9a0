"""Wiring steps together by hand: adding and removing a dependency, refusing cycles."""
from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import dependency_added_event, dependency_removed_event
from core.exceptions import ApplicationError, PermissionDeniedError
from municipalities.permissions import Action, merger_access
from runbook.models import Dependency, DependencyType, Runbook, Step
from runbook.services.replan import plan_changed


def dependency_path(edges: dict[int, list[int]], start: int, goal: int) -> list[int] | None:
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
    path = dependency_path(edges, successor.pk, predecessor.pk)
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

