"""Writes for the inventory and the decisions. Each writes its audit Event in the same transaction; a change
that moves the plans of mergers (a vendor's capacity, an area's binding) sends its ``systems.signals`` signal."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.events import (
    assign,
    capacity_period_added_event,
    capacity_period_changed_event,
    capacity_period_removed_event,
    conversions_derived_event,
    diff,
    domain_binding_changed_event,
    snapshot,
    system_instance_added_event,
    system_instance_changed_event,
    system_instance_removed_event,
    vendor_capacity_changed_event,
)
from core.exceptions import ApplicationError, PermissionDeniedError, clean_or_refuse, refuse_unknown_fields
from municipalities.models import Merger
from municipalities.permissions import Action, may_edit_national, merger_access

from .models import (
    Conversion,
    Domain,
    Harmonisation,
    LegalBinding,
    Strategy,
    SystemInstance,
    Vendor,
    VendorCapacityPeriod,
)
from .signals import domain_binding_changed, vendor_capacity_changed


def harmonisation_conversions(harmonisation: Harmonisation) -> list[SystemInstance]:
    """The instances whose records a harmonisation converts: in an area that holds data and is not
    converted centrally, every instance in its domain in the merger's member municipalities — the surviving
    one included, because every old municipality code moves to the new one (the seat's own too, e.g. 541
    → 550). Areas without data (infrastructure, telephony) and centrally converted ones (CPR) get none."""
    domain = harmonisation.domain
    if not domain.holds_data or domain.central_conversion:
        return []
    instances = SystemInstance.objects.filter(
        municipality__mergers=harmonisation.merger_id, system__domain=harmonisation.domain_id
    ).select_related("system", "municipality")
    return list(instances.order_by("municipality__code", "pk"))


@transaction.atomic
def harmonisation_apply(*, harmonisation: Harmonisation, actor=None) -> list[Conversion]:
    """Derive the conversions a harmonisation implies (see ``harmonisation_conversions``), adding the
    missing and removing the obsolete ones.

    Idempotent: applying an unchanged decision twice changes nothing and records nothing. The merger's
    IT chief (or the system: ``actor`` None) applies it.
    """
    if actor is not None and not merger_access(actor, harmonisation.merger_id).allows(Action.EDIT_DECISIONS):
        raise PermissionDeniedError(_("You do not have permission to do this."))
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
        conversions_derived_event(
            harmonisation=harmonisation, actor=actor, before=len(existing), after=len(wanted),
            added=len(created), removed=len(obsolete),
        )
    return list(harmonisation.conversions.select_related("source_instance__municipality"))


# --- System instances (the inventory of one municipality) --------------------------------------------


def _instance_merger_ids(municipality_id: int) -> list[int]:
    return list(Merger.objects.filter(members=municipality_id).order_by("pk").values_list("pk", flat=True))


def _require_inventory(actor, instance_or_municipality, municipality_id: int) -> int | None:
    """The merger in which ``actor`` may edit this municipality's inventory (its Event goes there)."""
    merger_ids = _instance_merger_ids(municipality_id)
    for merger_id in merger_ids:
        if merger_access(actor, merger_id).allows(Action.EDIT_INVENTORY, instance_or_municipality):
            return merger_id
    raise PermissionDeniedError(_("You may not change this municipality's inventory."))


_INSTANCE_FIELDS = ("hosting", "is_inferred", "notes")


def _instance_clean(instance) -> None:
    clean_or_refuse(instance)


@transaction.atomic
def system_instance_create(*, municipality, system, actor, hosting: str = "", notes: str = "",
                           is_inferred: bool = False) -> SystemInstance:
    """Record that ``municipality`` runs ``system`` (its coordinator or the IT chief)."""
    merger_id = _require_inventory(actor, municipality, municipality.pk)
    if SystemInstance.objects.filter(municipality=municipality, system=system).exists():
        raise ApplicationError(_("The municipality runs this system already."), field="system")
    instance = SystemInstance(municipality=municipality, system=system, notes=notes, is_inferred=is_inferred)
    if hosting:
        instance.hosting = hosting
    _instance_clean(instance)
    instance.save()
    after = snapshot(instance, _INSTANCE_FIELDS)
    system_instance_added_event(instance=instance, actor=actor, merger_id=merger_id, values=after)
    return instance


@transaction.atomic
def system_instance_update(*, instance: SystemInstance, actor, data: dict) -> SystemInstance:
    """Change how a municipality runs a system (hosting, notes, inferred)."""
    refuse_unknown_fields(data, _INSTANCE_FIELDS)
    instance = SystemInstance.objects.select_for_update().get(pk=instance.pk)
    merger_id = _require_inventory(actor, instance, instance.municipality_id)
    before = assign(instance, data)
    _instance_clean(instance)
    changes = diff(before, snapshot(instance, data))
    if not changes:
        return instance
    instance.save(update_fields=[*data, "updated_at"])
    system_instance_changed_event(instance=instance, actor=actor, merger_id=merger_id, changes=changes)
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
    system_instance_removed_event(instance=instance, actor=actor, merger_id=merger_id)
    instance.delete()


@transaction.atomic
def vendor_capacity_set(*, vendor, capacity: int | None, actor=None):
    """Set a vendor's weekly cutover capacity (None = unlimited), record it, and replan every merger the
    vendor serves after commit (capacity binds go-lives across mergers). Vendors are shared by every
    merger, so only staff (or the system, actor None) may change it."""
    _require_national(actor, _("Only staff may change a vendor's capacity."))
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise ApplicationError(_("The capacity must be a whole number of at least 1, or empty."),
                               field="weekly_cutover_capacity")
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    before = vendor.weekly_cutover_capacity
    if before == capacity:
        return vendor
    vendor.weekly_cutover_capacity = capacity
    vendor.capacity_inferred = False  # a planner's figure, no longer an assumption of the seed
    vendor.save(update_fields=["weekly_cutover_capacity", "capacity_inferred", "updated_at"])
    vendor_capacity_changed_event(vendor=vendor, actor=actor, before=before, after=capacity)
    vendor_capacity_changed.send(sender=Vendor, vendor_ids={vendor.pk})
    return vendor


# --- Legal binding of an area (reference data shared by every merger) --------------------------------

BINDING_FIELDS = ("binding", "binding_latest", "binding_inferred", "binding_note", "holds_data", "central_conversion")


def _require_national(actor, message: str) -> None:
    if not may_edit_national(actor):
        raise PermissionDeniedError(message)


def legal_date_reference():
    """The legal date a ``may_follow`` area's latest go-live must come after: the latest legal date of any
    merger (2007-01-01 in the reform), or 2007-01-01 when there is no merger yet."""
    return Merger.objects.aggregate(latest=Max("legal_date"))["latest"] or dt.date(2007, 1, 1)


def domain_binding_check(*, binding: str, binding_latest, legal_date=None) -> None:
    """Raise ``ApplicationError`` naming the field when a binding is not valid: ``may_follow`` needs a
    latest go-live after the legal date."""
    if binding not in LegalBinding.values:
        raise ApplicationError(_("Unknown binding."), field="binding")
    if binding == LegalBinding.MAY_FOLLOW:
        if binding_latest is None:
            raise ApplicationError(
                _("An area that may follow the legal date needs its latest go-live."), field="binding_latest"
            )
        legal = legal_date or legal_date_reference()
        if binding_latest <= legal:
            raise ApplicationError(
                _("The latest go-live must be after the legal date (%(date)s).")
                % {"date": date_format(legal)},
                field="binding_latest",
            )


@transaction.atomic
def domain_binding_set(*, domain, actor, data: dict):
    """Change how an area's go-live is bound to the legal date (and whether it holds data, whether it is
    converted centrally). Staff only (areas are shared by every merger); records an Event and replans
    every merger with a cutover in the area after commit."""
    _require_national(actor, _("Only staff may change an area's legal binding."))
    refuse_unknown_fields(data, BINDING_FIELDS)
    domain = Domain.objects.select_for_update().get(pk=domain.pk)
    before = assign(domain, data, BINDING_FIELDS)
    if domain.binding_note is None:
        domain.binding_note = ""
    domain_binding_check(binding=domain.binding, binding_latest=domain.binding_latest)
    changes = diff(before, snapshot(domain, BINDING_FIELDS))
    if not changes:
        return domain
    domain.save(update_fields=list(changes))
    domain_binding_changed_event(domain=domain, actor=actor, changes=changes)
    domain_binding_changed.send(sender=Domain, domain_id=domain.pk)
    return domain


# --- Vendor capacity periods (staff) -----------------------------------------------------------------

CAPACITY_PERIOD_FIELDS = ("vendor", "start", "end", "capacity", "note", "is_inferred")


def _capacity_period_clean(period) -> None:
    if period.start and period.end and period.end < period.start:
        raise ApplicationError(_("The last day cannot come before the first day."), field="end")
    _instance_clean(period)


@transaction.atomic
def vendor_capacity_period_save(*, period=None, actor, data: dict):
    """Create (``period`` None) or change a vendor's capacity for a period; staff only. Recorded, and
    every merger the vendor serves is replanned after commit."""
    _require_national(actor, _("Only staff may change a vendor's capacity."))
    refuse_unknown_fields(data, CAPACITY_PERIOD_FIELDS)
    creating = period is None
    period = VendorCapacityPeriod() if creating else VendorCapacityPeriod.objects.select_for_update().get(pk=period.pk)
    old_vendor = None if creating else period.vendor_id
    before = assign(period, data, CAPACITY_PERIOD_FIELDS, new=creating)
    _capacity_period_clean(period)
    changes = diff(before, snapshot(period, CAPACITY_PERIOD_FIELDS))
    if not changes:
        return period
    period.save()
    record = capacity_period_added_event if creating else capacity_period_changed_event
    record(period=period, actor=actor, changes=changes)
    vendor_capacity_changed.send(sender=Vendor, vendor_ids={period.vendor_id, old_vendor} - {None})
    return period


@transaction.atomic
def vendor_capacity_period_delete(*, period, actor) -> None:
    _require_national(actor, _("Only staff may change a vendor's capacity."))
    period = VendorCapacityPeriod.objects.select_for_update().get(pk=period.pk)
    capacity_period_removed_event(period=period, actor=actor)
    vendor_id = period.vendor_id
    period.delete()
    vendor_capacity_changed.send(sender=Vendor, vendor_ids={vendor_id})
