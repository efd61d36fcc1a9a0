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


# --- System instances (the inventory of one municipality) --------------------------------------------


def _instance_merger_ids(municipality_id: int) -> list[int]:
    from municipalities.models import Merger

    return list(Merger.objects.filter(members=municipality_id).order_by("pk").values_list("pk", flat=True))


def _require_inventory(actor, instance_or_municipality, municipality_id: int) -> int | None:
    """The merger in which ``actor`` may edit this municipality's inventory (its Event goes there)."""
    from mergeplan.exceptions import PermissionDeniedError
    from municipalities.permissions import Action, merger_access

    merger_ids = _instance_merger_ids(municipality_id)
    for merger_id in merger_ids:
        if merger_access(actor, merger_id).allows(Action.EDIT_INVENTORY, instance_or_municipality):
            return merger_id
    raise PermissionDeniedError(_("You may not change this municipality's inventory."))


_INSTANCE_FIELDS = ("hosting", "is_inferred", "notes")


def _instance_clean(instance: SystemInstance) -> None:
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(validate_unique=False)
    except ValidationError as exc:
        first_field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], field=first_field) from exc


@transaction.atomic
def system_instance_create(*, municipality, system, actor, hosting: str = "", notes: str = "",
                           is_inferred: bool = False) -> SystemInstance:
    """Record that ``municipality`` runs ``system`` (its coordinator or the IT chief)."""
    from runbook.events import snapshot

    merger_id = _require_inventory(actor, municipality, municipality.pk)
    if SystemInstance.objects.filter(municipality=municipality, system=system).exists():
        raise ApplicationError(_("The municipality runs this system already."), field="system")
    instance = SystemInstance(municipality=municipality, system=system, notes=notes, is_inferred=is_inferred)
    if hosting:
        instance.hosting = hosting
    _instance_clean(instance)
    instance.save()
    after = snapshot(instance, _INSTANCE_FIELDS)
    event_record(
        actor=actor, verb="system_instance_added", obj=instance, merger_id=merger_id,
        changes={name: [None, value] for name, value in after.items()},
    )
    return instance


@transaction.atomic
def system_instance_update(*, instance: SystemInstance, actor, data: dict) -> SystemInstance:
    """Change how a municipality runs a system (hosting, notes, inferred)."""
    from runbook.events import diff, snapshot

    unknown = set(data) - set(_INSTANCE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    instance = SystemInstance.objects.select_for_update().get(pk=instance.pk)
    merger_id = _require_inventory(actor, instance, instance.municipality_id)
    before = snapshot(instance, data)
    for name, value in data.items():
        setattr(instance, name, value)
    _instance_clean(instance)
    changes = diff(before, snapshot(instance, data))
    if not changes:
        return instance
    instance.save(update_fields=[*data, "updated_at"])
    event_record(actor=actor, verb="system_instance_changed", obj=instance, merger_id=merger_id, changes=changes)
    return instance


@transaction.atomic
def system_instance_delete(*, instance: SystemInstance, actor) -> None:
    """Remove an instance that no conversion or harmonisation refers to."""
    instance = SystemInstance.objects.select_for_update().get(pk=instance.pk)
    merger_id = _require_inventory(actor, instance, instance.municipality_id)
    if instance.conversions.exists() or Harmonisation.objects.filter(surviving_instance=instance).exists():
        raise ApplicationError(
            _("A harmonisation or conversion refers to this instance; change the decision first."),
            field="system",
        )
    event_record(actor=actor, verb="system_instance_removed", obj=instance, merger_id=merger_id,
                 message=str(instance))
    instance.delete()


@transaction.atomic
def vendor_capacity_set(*, vendor, capacity: int | None, actor=None):
    """Set a vendor's weekly cutover capacity (None = unlimited), record it, and replan every merger the
    vendor serves after commit (capacity binds go-lives across mergers). Vendors are shared by every
    merger, so only staff (or the system, actor None) may change it."""
    from mergeplan.exceptions import PermissionDeniedError
    from runbook.models import Step
    from runbook.services import plan_changed

    from .models import Vendor

    if actor is not None and not (getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False)):
        raise PermissionDeniedError(_("Only staff may change a vendor's capacity."))
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise ApplicationError(_("The capacity must be a whole number of at least 1, or empty."),
                               field="weekly_cutover_capacity")
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    before = vendor.weekly_cutover_capacity
    if before == capacity:
        return vendor
    vendor.weekly_cutover_capacity = capacity
    vendor.save(update_fields=["weekly_cutover_capacity", "updated_at"])
    event_record(
        actor=actor,
        verb="vendor_capacity_changed",
        obj=vendor,
        merger_id=None,
        changes={"weekly_cutover_capacity": [before, capacity]},
    )
    merger_ids = (
        Step.objects.filter(assignee_vendor=vendor).values_list("runbook__merger_id", flat=True).distinct()
    )
    for merger_id in sorted(set(merger_ids)):
        plan_changed(merger_id)
    return vendor
