"""Reads of a merger's systems matrix: the member municipalities, the system instances they run, the
harmonisation of each area, the conversions, and how far each conversion's steps have come."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from municipalities.models import Merger, Municipality
from runbook.models import FINISHED_STATUSES, Step
from systems.models import Conversion, Harmonisation, SystemInstance


@dataclass(frozen=True)
class MatrixInputs:
    """What the systems matrix is drawn from: members by name, instances by area, harmonisations by domain
    id, conversions by source instance id, and ``{conversion_id, total, done}`` step counts by conversion id."""

    members: list[Municipality]
    instances: list[SystemInstance]
    harmonisations: dict[int, Harmonisation]
    conversions: dict[int, Conversion]
    progress: dict[int, dict]


def matrix_inputs(merger: Merger) -> MatrixInputs:
    """The systems matrix's rows of the merger, each kind in one query (five queries)."""
    members = list(merger.members.order_by("name"))
    instances = list(
        SystemInstance.objects.filter(municipality__mergers=merger)
        .select_related("system__vendor", "system__domain")
        .order_by("system__domain__position", "pk")
    )
    harmonisations = {
        h.domain_id: h
        for h in Harmonisation.objects.filter(merger=merger).select_related("domain", "target_system__vendor")
    }
    conversions = {
        c.source_instance_id: c for c in Conversion.objects.filter(harmonisation__merger=merger).order_by("pk")
    }
    progress = {
        r["conversion_id"]: r
        for r in Step.objects.filter(runbook__merger=merger, conversion__isnull=False)
        .values("conversion_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status__in=FINISHED_STATUSES)))
        .order_by()
    }
    return MatrixInputs(members=members, instances=instances, harmonisations=harmonisations,
                        conversions=conversions, progress=progress)
