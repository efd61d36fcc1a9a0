"""Writes for mergers and memberships."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import diff, merger_dispensation_changed_event, snapshot
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.formats import day
from core.validation import planning_date_message, planning_date_ok

from .models import DispensationStatus, Merger
from .permissions import Action, merger_access
from .selectors import dispensation_window
from .signals import merger_plan_changed


@transaction.atomic
def merger_dispensation_set(
    *,
    merger: Merger,
    actor,
    status: str,
    date: dt.date | None,
    reference: str = "",
    expected_version: int | None = None,
    check_permission: bool = True,
) -> Merger:
    """Record the Interior Ministry's dispensation state. Granted needs the date it grants; a date lies in
    the merger's dispensation window (planning start – the day before the legal date, see
    ``municipalities.selectors.dispensation_window``). The schedule is replanned after commit (the
    dispensation gate moves; ``signals.merger_plan_changed``)."""
    merger = Merger.objects.select_for_update().get(pk=merger.pk)
    if check_permission and not merger_access(actor, merger).allows(Action.EDIT_MERGER):
        raise PermissionDeniedError(_("Only the IT chief may change the dispensation."))
    if expected_version is not None and expected_version != merger.version:
        raise ConflictError(_("The merger was changed by someone else. Reload and try again."), field="version")
    if status not in DispensationStatus.values:
        raise ApplicationError(_("Unknown dispensation status."), field="dispensation_status")
    if status == DispensationStatus.GRANTED and date is None:
        raise ApplicationError(_("A granted dispensation needs its date."), field="dispensation_date")
    if not planning_date_ok(date):
        raise ApplicationError(planning_date_message(), field="dispensation_date")
    first, last = dispensation_window(merger)
    if date is not None and not first <= date <= last:
        raise ApplicationError(
            _("The dispensation date must lie from the planning start, %(first)s, to the day before the legal "
              "date, %(last)s.") % {"first": day(first), "last": day(last)},
            field="dispensation_date", code="date_out_of_window",
        )
    fields = ["dispensation_status", "dispensation_date", "dispensation_reference"]
    before = snapshot(merger, fields)
    merger.dispensation_status = status
    merger.dispensation_date = date
    merger.dispensation_reference = reference.strip()
    changes = diff(before, snapshot(merger, fields))
    if not changes:
        return merger
    merger.version += 1
    merger.save(update_fields=[*fields, "version", "updated_at"])
    merger_dispensation_changed_event(merger=merger, actor=actor, changes=changes)
    merger_plan_changed.send(sender=Merger, merger_ids=[merger.pk])
    return merger
