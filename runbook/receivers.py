"""The runbook's answers to the signals of the apps below it: replan every merger whose plan a change
there moves. Each receiver runs inside the sender's transaction and asks for the replan with
``services.plan_changed`` (the recompute is enqueued after commit, as for the runbook's own changes).
Connected when ``RunbookConfig.ready`` imports this module."""
from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import receiver

from municipalities.signals import merger_plan_changed
from runbook.models import Step, StepKind
from runbook.services import plan_changed
from systems.signals import domain_binding_changed, vendor_capacity_changed


def _replan(merger_ids: Iterable[int]) -> None:
    for merger_id in sorted(set(merger_ids)):
        plan_changed(merger_id)


@receiver(merger_plan_changed, dispatch_uid="runbook_merger_plan_changed")
def merger_plan_changed_receiver(sender, *, merger_ids, **kwargs) -> None:
    """Replan the mergers."""
    _replan(merger_ids)


@receiver(vendor_capacity_changed, dispatch_uid="runbook_vendor_capacity_changed")
def vendor_capacity_changed_receiver(sender, *, vendor_ids, **kwargs) -> None:
    """Replan every merger with a step of the vendors (capacity binds go-lives across mergers)."""
    _replan(
        Step.objects.filter(assignee_vendor__in=list(vendor_ids))
        .values_list("runbook__merger_id", flat=True).distinct()
    )


@receiver(domain_binding_changed, dispatch_uid="runbook_domain_binding_changed")
def domain_binding_changed_receiver(sender, *, domain_id, **kwargs) -> None:
    """Replan every merger with a cutover in the area."""
    _replan(
        Step.objects.filter(domain=domain_id, kind=StepKind.CUTOVER)
        .values_list("runbook__merger_id", flat=True).distinct()
    )
