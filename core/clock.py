"""The one answer to "what is today" for planning.

``MERGEPLAN_TODAY`` (an ISO date in the environment, read into ``settings.MERGEPLAN_TODAY``) pins the
planning clock — the demo lives in 2006. Everything that needs today's date calls :func:`today`. Timestamps of
what the system did (created, scheduled, signed) keep the system clock; pages mark them while the clock is
pinned (:func:`pinned`, :func:`core.formats.stamp`).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    """Today's date in the project's time zone, or the pinned planning date."""
    pinned = getattr(settings, "MERGEPLAN_TODAY", None)
    if pinned:
        return pinned if isinstance(pinned, dt.date) else dt.date.fromisoformat(str(pinned))
    return timezone.localdate()


def pinned() -> bool:
    """Whether the planning clock is pinned to another day than the system clock's (the demo's 2006): then
    a page that shows a system timestamp says so (:func:`core.formats.stamp`)."""
    return today() != timezone.localdate()
