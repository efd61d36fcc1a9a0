"""What every demo loader shares: the reform's dates, the day the demo stands on, and two small helpers.

The demo data is dated (2005–2006): nothing in ``demo`` asks the clock for today. Rows that record when
something happened (audit events, comments, baselines) get their timestamps from :func:`at`. Loaders
report progress through :func:`say` to an optional stdout (None when called from tests).
"""
from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

#: the legal date of the 2007 reform: every new municipality exists from 1 January 2007
LEGAL_DATE = dt.date(2007, 1, 1)
#: from when a dispensation for a stepwise IT merger applies (applied for, or granted)
DISPENSATION_DATE = dt.date(2006, 7, 1)
#: the day the demo stands on: the Tønder merger mid-flight on 15 March 2006
DEMO_DATE = dt.date(2006, 3, 15)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """The aware timestamp of ``hour`` o'clock on ``day``: when a dated demo row happened."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def say(stdout: TextIO | None, message: str) -> None:
    """Write one line to ``stdout``, or nothing when there is none."""
    if stdout is not None:
        stdout.write(message + "\n")
