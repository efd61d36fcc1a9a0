"""Danish working days between two dates, on a calendar cached per span of years (no freeze windows: the
count a person means by "working days until the legal date")."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from core.clock import today
from engine.calendar import WorkCalendar


@lru_cache(maxsize=8)
def danish_calendar(first_year: int, last_year: int) -> WorkCalendar:
    """The Danish working calendar of ``first_year`` to ``last_year`` (both included)."""
    return WorkCalendar.danish(range(first_year, last_year + 1))


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Danish working days in [a, b) (negative when b is before a)."""
    lo, hi = min(a, b), max(a, b)
    return danish_calendar(lo.year - 1, hi.year + 1).working_days_between(a, b)


def calendar_years(dates: Iterable[dt.date | None]) -> range:
    """The years a calendar must know: two before the earliest date given to three after the latest."""
    years = [d.year for d in dates if d is not None] or [today().year]
    return range(min(years) - 2, max(years) + 4)
