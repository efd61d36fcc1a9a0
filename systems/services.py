"""Writes for the inventory and the decisions. Each writes its audit Event in the same transaction."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mergeplan.exceptions import ApplicationError
from runbook.events import event_record

from .models import Conversion, Harmonisation, Strategy, SystemInstance


def harmonisation_conversions(harmonisation: Harmonisation) -> list[SystemInstance]:
    """The instances a harmonisation does not keep: every instance in its domain in the merger's member
    municipalities, except the surviving one (strategy keep)."""
    instances = SystemInstance.objects.filter(
        municipality__mergers=harmonisation.merger_id, system__domain=harmonisation.domain_id
    ).select_related("system", "municipality")
    return [i for i in instances.order_by("municipality__code", "pk") if i.pk != harmonisation.surviving_instance_id]


@transaction.atomic
def harmonisation_apply(*, harmonisation: Harmonisation, actor=None) -> list[Conversion]:
    """Derive the conversions a harmonisation implies, adding the missing and removing the obsolete ones.

    Idempotent: applying an unchanged decision twice changes nothing and records nothing.
    """
    if harmonisation.strategy == Strategy.KEEP:
        survivor = harmonisation.surviving_instance
        if survivor is None or survivor.system_id != harmonisation.target_system_id:
            raise ApplicationError(
                _("With strategy 'keep' the surviving instance must run the target system."),
                field="surviving_instance",
            )
    if harmonisation.target_system.domain_id != harmonisation.domain_id:
        raise ApplicationError(_("The target system belongs to another domain."), field="target_system")

    wanted = {i.pk: i for i in harmonisation_conversions(harmonisation)}
    existing = {c.source_instance_id: c for c in harmonisation.conversions.all()}
    created = [
        Conversion(harmonisation=harmonisation, source_instance_id=pk) for pk in wanted if pk not in existing
    ]
    obsolete = [c for pk, c in existing.items() if pk not in wanted]
    Conversion.objects.bulk_create(created)
    if obsolete:
        Conversion.objects.filter(pk__in=[c.pk for c in obsolete]).delete()
    if created or obsolete:
        event_record(
            actor=actor,
            verb="conversions_derived",
            obj=harmonisation,
            merger_id=harmonisation.merger_id,
            changes={"conversions": [len(existing), len(wanted)]},
            message=_("%(added)d conversions added, %(removed)d removed")
            % {"added": len(created), "removed": len(obsolete)},
        )
    return list(harmonisation.conversions.select_related("source_instance__municipality"))
