"""The one way the pages write a date, a week and a timestamp, in the active language.

The formats themselves live once per language in ``core/formats/<lang>/formats.py`` (Django's
``FORMAT_MODULE_PATH``): Danish "15. mar. 2006", English "15 Mar 2006". Templates use ``|date`` (no
argument) or the filters of :mod:`core.formats.filters` (``|day`` also takes an ISO string, ``|week``,
``|stamp``); Python that writes a date into a page or an e-mail calls :func:`day`. ISO 8601 stays in
exports, the API and form inputs.

Two clocks: planning dates (due, overdue, countdowns, "today") follow the planning clock
(:mod:`core.clock`, pinned in the demo); a *timestamp* of something the system did (last computed, a
history line, a comment, a sign-off, a token's use) is the system clock's. Where the planning clock is
pinned to another day, :func:`stamp` says so after the timestamp: "2. dec. 2026 04:15 (systemtid)".
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.clock import pinned


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value) -> str:
    """A date (or an ISO date string) as the pages write it: "15. mar. 2006"; "" for none. A string that
    is not a date comes back as it is."""
    d = _as_date(value)
    if d is None:
        return "" if value in (None, "") else str(value)
    return date_format(d, "DATE_FORMAT")


def week_label(value) -> str:
    """An ISO week ("2007-W01") or a date as "uge 1 (2007)" / "week 1 (2007)"."""
    if isinstance(value, dt.date):
        year, week, _weekday = value.isocalendar()
    else:
        text = str(value or "")
        if "-W" not in text:
            return text
        y, w = text.split("-W", 1)
        try:
            year, week = int(y), int(w[:2])
        except ValueError:
            return text
    return _("week %(week)d (%(year)d)") % {"week": week, "year": year}


def stamp(value) -> str:
    """A system timestamp (a datetime) in local time: "2. dec. 2026 04:15", followed by "(systemtid)"
    while the planning clock is pinned to another day, so a page never passes it off as planning time."""
    if not isinstance(value, dt.datetime):
        return day(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    text = date_format(local, "DATETIME_FORMAT")
    if pinned():
        return _("%(when)s (system time)") % {"when": text}
    return text
