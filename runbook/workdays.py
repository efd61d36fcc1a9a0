"""Danish working days between two dates, on a calendar cached per span of years (no freeze windows: the
count a person means by "working days until the legal date")."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from engine.calendar import WorkCalendar


@lru_cache(maxsize=8)
def danish_calendar(first_year: int, last_year: int) -> WorkCalendar:
    """The Danish working calendar of ``first_year`` to ``last_year`` (both included)."""
    return WorkCalendar.danish(range(first_year, last_year + 1))


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Danish working days in [a, b) (negative when b is before a)."""
    lo, hi = min(a, b), max(a, b)
    return danish_calendar(lo.year - 1, hi.year + 1).working_days_between(a, b)
