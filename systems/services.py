"""Writes for the inventory and the decisions. Each writes its audit Event in the same transaction."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, clean_or_refuse
from runbook.events import event_record

from .models import Conversion, Harmonisation, Strategy, SystemInstance


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
    from core.exceptions import PermissionDeniedError
    from municipalities.permissions import Action, merger_access

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
    from core.exceptions import PermissionDeniedError
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
    vendor.capacity_inferred = False  # a planner's figure, no longer an assumption of the seed
    vendor.save(update_fields=["weekly_cutover_capacity", "capacity_inferred", "updated_at"])
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


# --- Legal binding of an area (reference data shared by every merger) --------------------------------

BINDING_FIELDS = ("binding", "binding_latest", "binding_inferred", "binding_note", "holds_data", "central_conversion")


def _require_staff(actor, message: str) -> None:
    from core.exceptions import PermissionDeniedError

    if actor is not None and not (getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False)):
        raise PermissionDeniedError(message)


def legal_date_reference():
    """The legal date a ``may_follow`` area's latest go-live must come after: the latest legal date of any
    merger (2007-01-01 in the reform), or 2007-01-01 when there is no merger yet."""
    import datetime as dt

    from django.db.models import Max

    from municipalities.models import Merger

    return Merger.objects.aggregate(latest=Max("legal_date"))["latest"] or dt.date(2007, 1, 1)


def domain_binding_check(*, binding: str, binding_latest, legal_date=None) -> None:
    """Raise ``ApplicationError`` naming the field when a binding is not valid: ``may_follow`` needs a
    latest go-live after the legal date."""
    from django.utils.formats import date_format

    from .models import LegalBinding

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
    from runbook.events import diff, snapshot
    from runbook.models import Step, StepKind
    from runbook.services import plan_changed

    from .models import Domain

    _require_staff(actor, _("Only staff may change an area's legal binding."))
    unknown = set(data) - set(BINDING_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    domain = Domain.objects.select_for_update().get(pk=domain.pk)
    before = snapshot(domain, BINDING_FIELDS)
    for name, value in data.items():
        setattr(domain, name, value)
    if domain.binding_note is None:
        domain.binding_note = ""
    domain_binding_check(binding=domain.binding, binding_latest=domain.binding_latest)
    changes = diff(before, snapshot(domain, BINDING_FIELDS))
    if not changes:
        return domain
    domain.save(update_fields=list(changes))
    event_record(actor=actor, verb="domain_binding_changed", obj=domain, merger_id=None, changes=changes)
    merger_ids = (
        Step.objects.filter(domain=domain, kind=StepKind.CUTOVER).values_list("runbook__merger_id", flat=True).distinct()
    )
    for merger_id in sorted(set(merger_ids)):
        plan_changed(merger_id)
    return domain


# --- Vendor capacity periods (staff) -----------------------------------------------------------------

CAPACITY_PERIOD_FIELDS = ("vendor", "start", "end", "capacity", "note", "is_inferred")


def _capacity_period_replan(vendor_ids) -> None:
    from runbook.models import Step
    from runbook.services import plan_changed

    merger_ids = (
        Step.objects.filter(assignee_vendor__in=list(vendor_ids))
        .values_list("runbook__merger_id", flat=True).distinct()
    )
    for merger_id in sorted(set(merger_ids)):
        plan_changed(merger_id)


def _capacity_period_clean(period) -> None:
    if period.start and period.end and period.end < period.start:
        raise ApplicationError(_("The last day cannot come before the first day."), field="end")
    _instance_clean(period)


@transaction.atomic
def vendor_capacity_period_save(*, period=None, actor, data: dict):
    """Create (``period`` None) or change a vendor's capacity for a period; staff only. Recorded, and
    every merger the vendor serves is replanned after commit."""
    from runbook.events import diff, snapshot

    from .models import VendorCapacityPeriod

    _require_staff(actor, _("Only staff may change a vendor's capacity."))
    unknown = set(data) - set(CAPACITY_PERIOD_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    creating = period is None
    period = VendorCapacityPeriod() if creating else VendorCapacityPeriod.objects.select_for_update().get(pk=period.pk)
    before = {} if creating else snapshot(period, CAPACITY_PERIOD_FIELDS)
    old_vendor = None if creating else period.vendor_id
    for name, value in data.items():
        setattr(period, name, value)
    _capacity_period_clean(period)
    changes = diff(before, snapshot(period, CAPACITY_PERIOD_FIELDS))
    if not changes:
        return period
    period.save()
    event_record(
        actor=actor, verb="capacity_period_added" if creating else "capacity_period_changed", obj=period,
        merger_id=None, changes=changes,
    )
    _capacity_period_replan({period.vendor_id, old_vendor} - {None})
    return period


@transaction.atomic
def vendor_capacity_period_delete(*, period, actor) -> None:
    from .models import VendorCapacityPeriod

    _require_staff(actor, _("Only staff may change a vendor's capacity."))
    period = VendorCapacityPeriod.objects.select_for_update().get(pk=period.pk)
    event_record(actor=actor, verb="capacity_period_removed", obj=period, merger_id=None, message=str(period))
    vendor_id = period.vendor_id
    period.delete()
    _capacity_period_replan({vendor_id})
