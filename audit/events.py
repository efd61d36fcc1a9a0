"""The audit trail's verbs and one recorder per kind of change.

Services call a recorder inside their transaction, so a change and its :class:`~audit.models.Event` commit
together. Each recorder takes the facts of its change as keyword arguments and writes one row: the verb
(:class:`Verb`, the stored strings the pages, the API and the history sentences rely on), the object it is
about, the merger it belongs to (None for logins, tokens and reference data shared by every merger), the
changed fields as ``{field: [before, after]}`` (:func:`diff` of two :func:`snapshot` s) and a free text.
``actor`` None, or anything not logged in, means the system (a background task).

The scheduler and the risk check write many events at once: ``build_*`` make them unsaved, and
:func:`events_bulk_record` writes them in one go.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Event


class Verb(models.TextChoices):
    """What happened. The values are stored in ``Event.verb``: never rename one."""

    # a merger's runbook
    RUNBOOK_INSTANTIATED = "runbook_instantiated", gettext_lazy("Runbook created")
    STEP_CREATED = "step_created", gettext_lazy("Step added")
    STEP_UPDATED = "step_updated", gettext_lazy("Step changed")
    STEP_DELETED = "step_deleted", gettext_lazy("Step removed")
    STATUS_CHANGED = "status_changed", gettext_lazy("Status changed")
    STEP_RESCHEDULED = "step_rescheduled", gettext_lazy("Step rescheduled")
    DEPENDENCY_ADDED = "dependency_added", gettext_lazy("Predecessor added")
    DEPENDENCY_REMOVED = "dependency_removed", gettext_lazy("Predecessor removed")
    CHECKPOINT_SIGNED = "checkpoint_signed", gettext_lazy("Checkpoint signed off")
    CHECKPOINT_PASSED = "checkpoint_passed", gettext_lazy("Checkpoint passed")
    COMMENTED = "commented", gettext_lazy("Commented")
    RISK_FLAGGED = "risk_flagged", gettext_lazy("Flagged at risk")
    RISK_CLEARED = "risk_cleared", gettext_lazy("No longer at risk")
    BASELINE_CAPTURED = "baseline_captured", gettext_lazy("Baseline captured")
    FREEZEWINDOW_ADDED = "freezewindow_added", gettext_lazy("Freeze window added")
    FREEZEWINDOW_CHANGED = "freezewindow_changed", gettext_lazy("Freeze window changed")
    FREEZEWINDOW_REMOVED = "freezewindow_removed", gettext_lazy("Freeze window removed")
    CALENDARRULE_ADDED = "calendarrule_added", gettext_lazy("Calendar rule added")
    CALENDARRULE_CHANGED = "calendarrule_changed", gettext_lazy("Calendar rule changed")
    CALENDARRULE_REMOVED = "calendarrule_removed", gettext_lazy("Calendar rule removed")
    # mergers
    DISPENSATION_CHANGED = "dispensation_changed", gettext_lazy("Dispensation changed")
    # the inventory, the decisions and the reference data
    CONVERSIONS_DERIVED = "conversions_derived", gettext_lazy("Conversions derived")
    SYSTEM_INSTANCE_ADDED = "system_instance_added", gettext_lazy("System instance added")
    SYSTEM_INSTANCE_CHANGED = "system_instance_changed", gettext_lazy("System instance changed")
    SYSTEM_INSTANCE_REMOVED = "system_instance_removed", gettext_lazy("System instance removed")
    VENDOR_CAPACITY_CHANGED = "vendor_capacity_changed", gettext_lazy("Vendor capacity changed")
    CAPACITY_PERIOD_ADDED = "capacity_period_added", gettext_lazy("Capacity period added")
    CAPACITY_PERIOD_CHANGED = "capacity_period_changed", gettext_lazy("Capacity period changed")
    CAPACITY_PERIOD_REMOVED = "capacity_period_removed", gettext_lazy("Capacity period removed")
    DOMAIN_BINDING_CHANGED = "domain_binding_changed", gettext_lazy("Legal binding changed")
    # plain saves in the Django admin
    ADMIN_CREATED = "admin_created", gettext_lazy("Created in the admin")
    ADMIN_CHANGED = "admin_changed", gettext_lazy("Changed in the admin")
    ADMIN_DELETED = "admin_deleted", gettext_lazy("Deleted in the admin")
    # access: logins and tokens
    LOGIN_SUCCEEDED = "login_succeeded", gettext_lazy("Logged in")
    LOGIN_FAILED = "login_failed", gettext_lazy("Failed login")
    LOGIN_LOCKED_OUT = "login_locked_out", gettext_lazy("Locked out")
    TOKEN_USED = "token_used", gettext_lazy("API token used")
    API_TOKEN_CREATED = "api_token_created", gettext_lazy("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", gettext_lazy("API token revoked")
    FEED_TOKEN_CREATED = "feed_token_created", gettext_lazy("Calendar feed token created")
    FEED_TOKEN_REVOKED = "feed_token_revoked", gettext_lazy("Calendar feed token revoked")


#: Who got in and with what: events of access rather than of the plan (none belongs to a merger).
ACCESS_VERBS = frozenset({
    Verb.LOGIN_SUCCEEDED, Verb.LOGIN_FAILED, Verb.LOGIN_LOCKED_OUT, Verb.TOKEN_USED,
    Verb.API_TOKEN_CREATED, Verb.API_TOKEN_REVOKED, Verb.FEED_TOKEN_CREATED, Verb.FEED_TOKEN_REVOKED,
})


# --- Helpers ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields that changed."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(after.get(name))]
        for name in after
        if before.get(name) != after.get(name)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` of ``obj``, to :func:`diff` against after a change."""
    return {name: getattr(obj, name) for name in fields}


class Target(NamedTuple):
    """What an event is about: usually a saved object (:func:`target_of`), but a failed login for a name
    that has no account is about the user model with id 0 and the name tried."""

    content_type: ContentType
    object_id: int
    object_repr: str


def assign(obj: models.Model, data: Mapping[str, Any], fields: Iterable[str] | None = None, *, new: bool = False) -> dict:
    """Set ``data`` on ``obj`` and return its values of ``fields`` (default: the keys of ``data``) from before,
    for ``diff(before, snapshot(obj, fields))`` once the object is validated. A new object has no before."""
    before = {} if new else snapshot(obj, data if fields is None else fields)
    for name, value in data.items():
        setattr(obj, name, value)
    return before


def target_of(obj: models.Model) -> Target:
    return Target(ContentType.objects.get_for_model(obj, for_concrete_model=True), obj.pk, str(obj)[:250])


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _record(
    verb: Verb,
    target: Target | models.Model,
    *,
    actor,
    merger_id: int | None = None,
    changes: Mapping[str, list[Any]] | None = None,
    message: str = "",
) -> Event:
    """Write one event (the one writer every recorder goes through)."""
    if not isinstance(target, Target):
        target = target_of(target)
    return Event.objects.create(
        actor=_actor(actor),
        verb=verb,
        content_type=target.content_type,
        object_id=target.object_id,
        object_repr=target.object_repr,
        merger_id=merger_id,
        changes=dict(changes or {}),
        message=message,
    )


def events_bulk_record(events: Iterable[Event]) -> list[Event]:
    """Write many events made by the ``build_*`` functions at once (the scheduler's date moves)."""
    return Event.objects.bulk_create(list(events), batch_size=1000)


# --- A merger's runbook -----------------------------------------------------------------------------


def runbook_instantiated_event(*, runbook, actor, steps: int, dependencies: int, template) -> Event:
    return _record(
        Verb.RUNBOOK_INSTANTIATED, runbook, actor=actor, merger_id=runbook.merger_id,
        message=_("%(steps)d steps and %(deps)d dependencies from %(template)s")
        % {"steps": steps, "deps": dependencies, "template": template},
    )


def step_created_event(*, step, actor, merger_id: int) -> Event:
    """A step added by hand: its key, phase number and kind, and its name as the message."""
    changes = {"key": [None, step.key], "phase": [None, step.phase.number], "kind": [None, step.kind]}
    return _record(Verb.STEP_CREATED, step, actor=actor, merger_id=merger_id, changes=changes, message=step.name)


def step_updated_event(*, step, actor, merger_id: int, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.STEP_UPDATED, step, actor=actor, merger_id=merger_id, changes=changes)


def step_deleted_event(*, step, actor, merger_id: int, changes: Mapping[str, list[Any]]) -> Event:
    """A step taken out of the runbook: ``changes`` names its key and the predecessors and successors
    that went with it; the message keeps its name."""
    return _record(Verb.STEP_DELETED, step, actor=actor, merger_id=merger_id, changes=changes, message=step.name)


def step_status_changed_event(
    *, step, actor, merger_id: int, changes: Mapping[str, list[Any]], message: str = ""
) -> Event:
    """A status change with the actual dates it set; ``message``: the reason or the override reason."""
    return _record(Verb.STATUS_CHANGED, step, actor=actor, merger_id=merger_id, changes=changes, message=message)


def build_step_rescheduled_event(
    *, step_type: ContentType, step_id: int, step_name: str, merger_id: int, moves: Mapping[str, list[Any]]
) -> Event:
    """Unsaved: the scheduler moved a step's planned dates (``moves``: ``{field: [before, after]}``)."""
    return Event(
        actor=None, verb=Verb.STEP_RESCHEDULED, content_type=step_type, object_id=step_id,
        object_repr=step_name[:250], merger_id=merger_id, changes=dict(moves),
    )


def build_step_risk_event(
    *, step_type: ContentType, step_id: int, step_name: str, merger_id: int, before: bool, after: bool,
    reasons: Iterable[str],
) -> Event:
    """Unsaved: the risk check flagged a step at risk (``after`` True) or cleared it; the message lists the
    codes of the reasons."""
    return Event(
        actor=None, verb=Verb.RISK_FLAGGED if after else Verb.RISK_CLEARED, content_type=step_type,
        object_id=step_id, object_repr=step_name[:250], merger_id=merger_id,
        changes={"at_risk": [before, after]}, message=", ".join(reasons),
    )


def dependency_added_event(*, predecessor, successor, actor, merger_id: int) -> Event:
    """Recorded on the successor, naming the predecessor's key."""
    return _record(
        Verb.DEPENDENCY_ADDED, successor, actor=actor, merger_id=merger_id,
        changes={"predecessor": [None, predecessor.key]},
    )


def dependency_removed_event(*, predecessor, successor, actor, merger_id: int) -> Event:
    """Recorded on the successor, naming the predecessor's key."""
    return _record(
        Verb.DEPENDENCY_REMOVED, successor, actor=actor, merger_id=merger_id,
        changes={"predecessor": [predecessor.key, None]},
    )


def checkpoint_signed_event(
    *, step, actor, merger_id: int, changes: Mapping[str, list[Any]], comment: str = ""
) -> Event:
    """A go/no-go decision: ``changes`` holds ``signoff_<role>`` (and an override reason)."""
    return _record(Verb.CHECKPOINT_SIGNED, step, actor=actor, merger_id=merger_id, changes=changes, message=comment)


def checkpoint_passed_event(*, step, actor, merger_id: int, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.CHECKPOINT_PASSED, step, actor=actor, merger_id=merger_id, changes=changes)


def comment_added_event(*, step, actor, merger_id: int, body: str) -> Event:
    return _record(Verb.COMMENTED, step, actor=actor, merger_id=merger_id, message=body[:500])


def baseline_captured_event(*, baseline, actor, merger_id: int, steps: int) -> Event:
    return _record(
        Verb.BASELINE_CAPTURED, baseline, actor=actor, merger_id=merger_id,
        message=ngettext("Baseline »%(name)s« with %(n)d step", "Baseline »%(name)s« with %(n)d steps", steps)
        % {"name": baseline.name, "n": steps},
    )


def _calendar_verb(entry, what: str) -> Verb:
    return Verb(f"{entry._meta.model_name}_{what}")  # freezewindow_… or calendarrule_…


def calendar_entry_added_event(*, entry, actor, changes: Mapping[str, list[Any]]) -> Event:
    """A freeze window or calendar rule added (a merger's own, or national when ``merger_id`` is None)."""
    return _record(_calendar_verb(entry, "added"), entry, actor=actor, merger_id=entry.merger_id, changes=changes)


def calendar_entry_changed_event(*, entry, actor, changes: Mapping[str, list[Any]]) -> Event:
    return _record(_calendar_verb(entry, "changed"), entry, actor=actor, merger_id=entry.merger_id, changes=changes)


def calendar_entry_removed_event(*, entry, actor) -> Event:
    return _record(_calendar_verb(entry, "removed"), entry, actor=actor, merger_id=entry.merger_id, message=str(entry))


# --- Mergers ----------------------------------------------------------------------------------------


def merger_dispensation_changed_event(*, merger, actor, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.DISPENSATION_CHANGED, merger, actor=actor, merger_id=merger.pk, changes=changes)


# --- The inventory, the decisions and the reference data --------------------------------------------


def conversions_derived_event(*, harmonisation, actor, before: int, after: int, added: int, removed: int) -> Event:
    """A harmonisation's conversions derived again: how many there were and are, added and removed."""
    return _record(
        Verb.CONVERSIONS_DERIVED, harmonisation, actor=actor, merger_id=harmonisation.merger_id,
        changes={"conversions": [before, after]},
        message=_("%(added)d conversions added, %(removed)d removed") % {"added": added, "removed": removed},
    )


def system_instance_added_event(*, instance, actor, merger_id: int | None, values: Mapping[str, Any]) -> Event:
    """A municipality runs a system: ``values`` are the instance's recorded fields."""
    changes = {name: [None, value] for name, value in values.items()}
    return _record(Verb.SYSTEM_INSTANCE_ADDED, instance, actor=actor, merger_id=merger_id, changes=changes)


def system_instance_changed_event(
    *, instance, actor, merger_id: int | None, changes: Mapping[str, list[Any]]
) -> Event:
    return _record(Verb.SYSTEM_INSTANCE_CHANGED, instance, actor=actor, merger_id=merger_id, changes=changes)


def system_instance_removed_event(*, instance, actor, merger_id: int | None) -> Event:
    return _record(Verb.SYSTEM_INSTANCE_REMOVED, instance, actor=actor, merger_id=merger_id, message=str(instance))


def vendor_capacity_changed_event(*, vendor, actor, before: int | None, after: int | None) -> Event:
    """A vendor's weekly cutover capacity (None: unlimited); shared by every merger."""
    return _record(
        Verb.VENDOR_CAPACITY_CHANGED, vendor, actor=actor, changes={"weekly_cutover_capacity": [before, after]}
    )


def domain_binding_changed_event(*, domain, actor, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.DOMAIN_BINDING_CHANGED, domain, actor=actor, changes=changes)


def capacity_period_added_event(*, period, actor, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.CAPACITY_PERIOD_ADDED, period, actor=actor, changes=changes)


def capacity_period_changed_event(*, period, actor, changes: Mapping[str, list[Any]]) -> Event:
    return _record(Verb.CAPACITY_PERIOD_CHANGED, period, actor=actor, changes=changes)


def capacity_period_removed_event(*, period, actor) -> Event:
    return _record(Verb.CAPACITY_PERIOD_REMOVED, period, actor=actor, message=str(period))


# --- Plain saves in the Django admin ----------------------------------------------------------------


def admin_created_event(*, obj, actor, merger_id: int | None, message: str) -> Event:
    return _record(Verb.ADMIN_CREATED, obj, actor=actor, merger_id=merger_id, message=message)


def admin_changed_event(
    *, obj, actor, merger_id: int | None, changes: Mapping[str, list[Any]] | None = None, message: str
) -> Event:
    return _record(Verb.ADMIN_CHANGED, obj, actor=actor, merger_id=merger_id, changes=changes, message=message)


def admin_deleted_event(*, obj, actor, merger_id: int | None, message: str) -> Event:
    """``obj`` deleted, or (for an inline row) the parent the row was deleted from, named in ``message``."""
    return _record(Verb.ADMIN_DELETED, obj, actor=actor, merger_id=merger_id, message=message)


# --- Access: logins and tokens ----------------------------------------------------------------------


def login_succeeded_event(*, user, address: str, path: str) -> Event:
    content_type = ContentType.objects.get_for_model(user, for_concrete_model=True)
    return _record(
        Verb.LOGIN_SUCCEEDED, Target(content_type, user.pk, user.get_username()[:250]), actor=user,
        message=_("Logged in from %(address)s (%(path)s).") % {"address": address, "path": path},
    )


def login_failed_event(*, account: Target, address: str, path: str, locked_out: bool) -> Event:
    """A failed attempt on ``account``, also one refused because the account or address is locked out."""
    values = {"address": address, "path": path}
    if locked_out:
        message = _("Failed login from %(address)s (%(path)s); locked out.") % values
    else:
        message = _("Failed login from %(address)s (%(path)s).") % values
    return _record(Verb.LOGIN_FAILED, account, actor=None, message=message)


def login_locked_out_event(*, account: Target, minutes: int, failures: int, address: str) -> Event:
    return _record(
        Verb.LOGIN_LOCKED_OUT, account, actor=None,
        message=ngettext(
            "Locked out for %(minutes)d minute after %(failures)d failed logins from %(address)s.",
            "Locked out for %(minutes)d minutes after %(failures)d failed logins from %(address)s.",
            minutes,
        ) % {"minutes": minutes, "failures": failures, "address": address},
    )


def token_used_event(*, token) -> Event:
    """An API token authenticated a request (recorded at most once per interval, see ``logins.audit``)."""
    return _record(
        Verb.TOKEN_USED, token, actor=token.user,
        message=_("API token used (read-only).") if token.read_only else _("API token used."),
    )


def api_token_created_event(*, token, actor) -> Event:
    return _record(Verb.API_TOKEN_CREATED, token, actor=actor)


def _revoked(token) -> dict[str, list[Any]]:
    return {"revoked_at": [None, _jsonable(token.revoked_at)]}


def api_token_revoked_event(*, token, actor) -> Event:
    return _record(Verb.API_TOKEN_REVOKED, token, actor=actor, changes=_revoked(token))


def feed_token_created_event(*, token, actor) -> Event:
    return _record(Verb.FEED_TOKEN_CREATED, token, actor=actor)


def feed_token_revoked_event(*, token, actor) -> Event:
    return _record(Verb.FEED_TOKEN_REVOKED, token, actor=actor, changes=_revoked(token))
