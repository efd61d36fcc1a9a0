"""Freeze windows and recurring calendar rules: who may change them, their checks, saving and removing."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from audit.events import (
    assign,
    calendar_entry_added_event,
    calendar_entry_changed_event,
    calendar_entry_removed_event,
    diff,
    snapshot,
)
from core.exceptions import ApplicationError, PermissionDeniedError, clean_or_refuse, refuse_unknown_fields
from municipalities.permissions import Action, may_edit_national, merger_access
from runbook.models import CalendarRule, RuleKind, Runbook
from runbook.services.replan import plan_changed

FREEZE_FIELDS = ("name", "start", "end", "vendor", "domain", "merger", "is_inferred", "blocks")
RULE_FIELDS = ("name", "kind", "blocks", "domain", "vendor", "merger", "days", "week_from", "week_to", "month_from",
               "day_from", "month_to", "day_to", "is_inferred", "is_active", "note")


def calendar_may_change(actor, merger_id: int | None) -> bool:
    """A merger's own windows and rules are its IT chief's; national ones (merger None) are staff's."""
    if actor is None:
        return True
    if merger_id is None:
        return may_edit_national(actor)
    return merger_access(actor, merger_id).allows(Action.EDIT_PLAN)


def _calendar_require(actor, merger_id: int | None) -> None:
    if not calendar_may_change(actor, merger_id):
        if merger_id is None:
            raise PermissionDeniedError(_("Only staff may change the national calendar."))
        raise PermissionDeniedError(_("Only the IT chief may change the plan."))


def _calendar_replan(merger_ids) -> None:
    """Replan the mergers a window or rule concerns (None: every merger with a runbook)."""
    ids: set[int] = set()
    for merger_id in merger_ids:
        if merger_id is None:
            ids |= set(Runbook.objects.values_list("merger_id", flat=True))
        else:
            ids.add(merger_id)
    for merger_id in sorted(ids):
        plan_changed(merger_id)


def calendar_rule_check(rule) -> None:
    if rule.kind == RuleKind.SUMMER_HOLIDAY:
        for name in ("week_from", "week_to"):
            value = getattr(rule, name)
            if value is None or not 1 <= value <= 53:
                raise ApplicationError(_("Give an ISO week from 1 to 53."), field=name)
        if rule.week_to < rule.week_from:
            raise ApplicationError(_("The last week cannot come before the first week."), field="week_to")
    elif rule.kind in (RuleKind.PAYROLL_RUN, RuleKind.PAYOUT_RUN):
        if not rule.days or not 1 <= rule.days <= 20:
            raise ApplicationError(_("Give a number of working days from 1 to 20."), field="days")
    elif rule.kind == RuleKind.YEAR_END:
        for month, day in (("month_from", "day_from"), ("month_to", "day_to")):
            m, d = getattr(rule, month), getattr(rule, day)
            if m is None or not 1 <= m <= 12:
                raise ApplicationError(_("Give a month from 1 to 12."), field=month)
            try:
                dt.date(2008, m, d or 0)  # a leap year: 29 February is a day
            except (TypeError, ValueError):
                raise ApplicationError(_("Give a day that exists in that month."), field=day) from None


def _calendar_clean(obj) -> None:
    if isinstance(obj, CalendarRule):
        calendar_rule_check(obj)
    elif obj.start and obj.end and obj.end < obj.start:
        raise ApplicationError(_("The last day cannot come before the first day."), field="end")
    clean_or_refuse(obj)


@transaction.atomic
def calendar_entry_save(*, model, obj=None, actor, data: dict):
    """Create (``obj`` None) or change a freeze window or calendar rule (``model`` FreezeWindow or
    CalendarRule). A merger's own: its IT chief; national: staff. Recorded; the mergers it concerns are
    replanned after commit."""
    fields = RULE_FIELDS if model is CalendarRule else FREEZE_FIELDS
    refuse_unknown_fields(data, fields)
    creating = obj is None
    obj = model() if creating else model.objects.select_for_update().get(pk=obj.pk)
    old_merger = None if creating else obj.merger_id
    if not creating:
        _calendar_require(actor, old_merger)
    before = assign(obj, data, fields, new=creating)
    if getattr(obj, "note", "") is None:
        obj.note = ""
    _calendar_require(actor, obj.merger_id)
    _calendar_clean(obj)
    changes = diff(before, snapshot(obj, fields))
    if not changes:
        return obj
    obj.save()
    record = calendar_entry_added_event if creating else calendar_entry_changed_event
    record(entry=obj, actor=actor, changes=changes)
    _calendar_replan({obj.merger_id} if creating or old_merger == obj.merger_id else {obj.merger_id, old_merger})
    return obj


@transaction.atomic
def calendar_entry_delete(*, obj, actor) -> None:
    """Remove a freeze window or calendar rule (same rights as changing it)."""
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    _calendar_require(actor, obj.merger_id)
    calendar_entry_removed_event(entry=obj, actor=actor)
    merger_id = obj.merger_id
    obj.delete()
    _calendar_replan({merger_id})
