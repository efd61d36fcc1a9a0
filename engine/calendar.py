"""A pure working-day calendar: Monday–Friday minus holidays, plus freeze windows for go-lives.

No Django import: the scheduling engine and its tests use it on their own.

Working days are numbered by a stable integer *working-day index*: index 0 is the first working day on or
after 2000-01-03, index i + 1 is the working day after index i (negative indices lie before). The calendar
keeps a lookup table over a range of dates and widens it on demand, so the conversions in both directions
are list look-ups. The scheduling engine does all its arithmetic on these indices and converts to dates
only at the edges.

Freeze windows do not remove working days: work goes on during a freeze. A window that ``blocks``
``go_live`` forbids a *go-live* (the finish day of a cutover) of the domain or vendor it applies to — see
``FreezeWindow.applies_to``; one that blocks ``work`` (fællesferie, KMD's closure) also forbids the work
that needs the users: training, dress rehearsals, emergency drills.

Recurring rules (fællesferie in ISO weeks 28–30, the payroll and benefit payout runs at each month end, the
finance year-end closing) are expanded into dated windows by :func:`rule_windows`. Pay day is the last
banking day of the month (:meth:`WorkCalendar.pay_day_on_or_after`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays as holidays_lib

_EPOCH = date(2000, 1, 3).toordinal()  # a Monday; working-day index 0 is the first working day from here
_MARGIN = 366 * 5  # days added around a requested range when the table grows
# Tables depend on the holidays only: calendars with the same holidays (a web request builds its own
# WorkCalendar.danish) share one. A few distinct holiday sets at most; the oldest goes first.
_SHARED_TABLES: dict[frozenset[date], _Table] = {}
_SHARED_MAX = 16


GO_LIVE = "go_live"  # a window that forbids go-lives only
WORK = "work"  # a window that forbids go-lives and the work that needs the users (training, rehearsals)
BLOCKS = (GO_LIVE, WORK)


@dataclass(frozen=True)
class FreezeWindow:
    """A period in which no cutover of a domain or vendor may go live (e.g. KMD's Christmas closure).

    ``blocks`` = ``work``: neither may the users' work of that domain or vendor take place in it.
    """

    start: date  # inclusive
    end: date  # inclusive
    label: str
    domain: str | None = None  # domain code it applies to; None = every domain
    vendor: str | None = None  # vendor code it applies to; None = every vendor
    blocks: str = GO_LIVE

    def applies_to(self, domain: str | None, vendor: str | None) -> bool:
        """Whether the window binds a cutover of ``domain`` delivered by ``vendor``.

        Both restrictions must match: a window for vendor "KMD" binds every KMD cutover, a window for
        domain "payroll" binds every payroll cutover whatever its vendor, a window with neither binds all.
        """
        return (self.domain is None or self.domain == domain) and (
            self.vendor is None or self.vendor == vendor
        )

    def contains(self, d: date) -> bool:
        """Whether ``d`` lies inside the window (both ends inclusive)."""
        return self.start <= d <= self.end


class _Table:
    """Lookup arrays over the ordinals ``[lo, hi)``; ``lo <= _EPOCH < hi``."""

    __slots__ = ("lo", "hi", "base", "before", "days")

    def __init__(self, lo: int, hi: int, holidays: frozenset[date]) -> None:
        hol = {d.toordinal() for d in holidays if lo <= d.toordinal() < hi}
        before = [0] * (hi - lo + 1)  # before[k]: working days in [lo, lo + k)
        days: list[int] = []  # ordinals of the working days in [lo, hi)
        weekday = date.fromordinal(lo).weekday()
        count = 0
        for k, o in enumerate(range(lo, hi)):
            if weekday < 5 and o not in hol:
                days.append(o)
                count += 1
            before[k + 1] = count
            weekday = 0 if weekday == 6 else weekday + 1
        self.lo = lo
        self.hi = hi
        self.base = -before[_EPOCH - lo]  # index of days[0]
        self.before = before
        self.days = days


class WorkCalendar:
    """Mon–Fri minus holidays; freeze windows restrict cutover go-live days only."""

    def __init__(self, holidays: Iterable[date] = (), freezes: Iterable[FreezeWindow] = ()) -> None:
        self.holidays: frozenset[date] = frozenset(holidays)
        # Sorted so that freeze_at and everything built on it do not depend on the caller's order.
        self.freezes: tuple[FreezeWindow, ...] = tuple(
            sorted(freezes, key=lambda w: (w.start, w.end, w.label, w.domain or "", w.vendor or "", w.blocks))
        )
        self._table_obj: _Table | None = _SHARED_TABLES.get(self.holidays)
        self._lock = threading.Lock()

    @classmethod
    def danish(cls, years: Iterable[int], freezes: Iterable[FreezeWindow] = ()) -> WorkCalendar:
        """Danish public holidays of ``years`` plus juleaften (24/12), nytårsaften (31/12) and grundlovsdag (5/6)."""
        return cls(danish_holiday_names(years), freezes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return self.holidays == other.holidays and self.freezes == other.freezes

    def __hash__(self) -> int:
        return hash((self.holidays, self.freezes))

    def __repr__(self) -> str:
        return f"WorkCalendar(<{len(self.holidays)} holidays>, freezes={self.freezes!r})"

    def __getstate__(self) -> dict:
        # The table and the lock are caches: rebuilt on demand after unpickling (Celery may pickle).
        return {"holidays": self.holidays, "freezes": self.freezes}

    def __setstate__(self, state: dict) -> None:
        self.holidays = state["holidays"]
        self.freezes = state["freezes"]
        self._table_obj = _SHARED_TABLES.get(self.holidays)
        self._lock = threading.Lock()

    # --- the index table ----------------------------------------------------------------------------

    def _table(self, lo: int, hi: int) -> _Table:
        """A table covering the ordinals ``[lo, hi]``, widened (and kept) if the current one does not."""
        t = self._table_obj
        if t is not None and t.lo <= lo and hi < t.hi:
            return t
        with self._lock:
            t = self._table_obj
            if t is not None and t.lo <= lo and hi < t.hi:
                return t
            new_lo = min(lo, _EPOCH) - _MARGIN
            new_hi = max(hi, _EPOCH) + _MARGIN
            if t is not None:
                new_lo, new_hi = min(new_lo, t.lo), max(new_hi, t.hi)
            t = _Table(new_lo, new_hi, self.holidays)
            self._table_obj = t
            if len(_SHARED_TABLES) >= _SHARED_MAX and self.holidays not in _SHARED_TABLES:
                _SHARED_TABLES.pop(next(iter(_SHARED_TABLES)), None)
            _SHARED_TABLES[self.holidays] = t
            return t

    def index_of(self, d: date, *, previous: bool = False) -> int:
        """Working-day index of ``next_working_day(d)`` (of ``previous_working_day(d)`` if ``previous``)."""
        return self.index_of_ordinal(d.toordinal(), previous=previous)

    def index_of_ordinal(self, o: int, *, previous: bool = False) -> int:
        """``index_of`` for a proleptic Gregorian ordinal (``date.toordinal()``)."""
        t = self._table(o, o + 1)
        if previous:
            return t.base + t.before[o - t.lo + 1] - 1
        return t.base + t.before[o - t.lo]

    def date_of(self, i: int) -> date:
        """The working day with index ``i``."""
        return date.fromordinal(self.ordinals(i, i)[0])

    def ordinals(self, first: int, last: int) -> list[int]:
        """Ordinals of the working days with indices ``first`` … ``last`` (inclusive), in order."""
        t = self._table_obj
        if t is None or first - t.base < 0 or last - t.base >= len(t.days):
            # Widen by a generous estimate (7 calendar days per 5 working days), then check again.
            guess_lo = _EPOCH + (first * 7) // 5 - 30
            guess_hi = _EPOCH + (last * 7) // 5 + 30
            t = self._table(guess_lo, guess_hi)
            while first - t.base < 0 or last - t.base >= len(t.days):
                t = self._table(t.lo - 366, t.hi + 366)
        return t.days[first - t.base : last - t.base + 1]

    # --- the public calendar ------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not a holiday (freeze windows do not matter here)."""
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        return self.date_of(self.index_of(d))

    def previous_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the last working day before it."""
        return self.date_of(self.index_of(d, previous=True))

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n`` < 0); ``d`` itself when ``n`` == 0.

        Meant for a working day ``d``. From a non-working day, counting starts at the gap: Saturday + 1 is
        Monday, Saturday − 1 is Friday, and Saturday + 0 is Monday (the next working day).
        """
        if n > 0:
            return self.date_of(self.index_of(d, previous=True) + n)
        if n < 0:
            return self.date_of(self.index_of(d) + n)
        return self.next_working_day(d)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``[a, b)``; the negative count of ``[b, a)`` when ``b`` < ``a``."""
        return self.index_of(b) - self.index_of(a)

    def freeze_at(
        self, d: date, domain: str | None, vendor: str | None, *, blocks: str | None = None
    ) -> FreezeWindow | None:
        """The first freeze window (by start date) that contains ``d`` and binds ``domain``/``vendor``
        (only windows that block ``blocks`` when given)."""
        for w in self.freezes:
            if w.contains(d) and w.applies_to(domain, vendor) and (blocks is None or w.blocks == blocks):
                return w
        return None

    def last_working_day_of_month(self, year: int, month: int) -> date:
        """The last working day of the month: the municipal pay day (last banking day of the month)."""
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        return self.previous_working_day(date(ny, nm, 1) - timedelta(days=1))

    def pay_day_on_or_after(self, d: date) -> date:
        """The first pay day (last working day of a month) on or after ``d``."""
        p = self.last_working_day_of_month(d.year, d.month)
        if p >= d:
            return p
        ny, nm = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return self.last_working_day_of_month(ny, nm)

    def pay_day_on_or_before(self, d: date) -> date:
        """The last pay day on or before ``d``."""
        p = self.last_working_day_of_month(d.year, d.month)
        if p <= d:
            return p
        py, pm = (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)
        return self.last_working_day_of_month(py, pm)


def danish_holiday_names(years: Iterable[int]) -> dict[date, str]:
    """Danish names of the days a Danish municipality is closed, by date, in date order.

    The public holidays of the ``holidays`` package plus juleaften (24 December), nytårsaften (31 December)
    and grundlovsdag (5 June), which are not public holidays but days off under public-sector agreements
    (grundlovsdag a half day, on which municipal offices were commonly closed).
    """
    return dict(_danish_holiday_names(tuple(sorted(set(years)))))


@functools.lru_cache(maxsize=64)
def _danish_holiday_names(years: tuple[int, ...]) -> dict[date, str]:
    names: dict[date, list[str]] = {}
    for d, name in holidays_lib.country_holidays("DK", years=years, language="da").items():
        names.setdefault(d, []).extend(name.split("; "))
    for y in years:
        names.setdefault(date(y, 12, 24), []).append("Juleaften")
        names.setdefault(date(y, 12, 31), []).append("Nytårsaften")
        names.setdefault(date(y, 6, 5), []).append("Grundlovsdag")
    return {d: "; ".join(dict.fromkeys(names[d])) for d in sorted(names)}


def month_end_freezes(
    *,
    domain: str,
    start: date,
    end: date,
    days: int = 3,
    label: str,
    calendar: WorkCalendar | None = None,
) -> list[FreezeWindow]:
    """One window per month over the last ``days`` working days of each month in ``[start, end]``.

    The payroll run days: payroll must run every month, so a payroll cutover avoids them. Working days
    come from ``calendar`` (default: the Danish calendar of the years concerned). Windows are clipped to
    ``[start, end]``; a month whose run days all fall outside gets none.
    """
    if days < 1 or end < start:
        return []
    cal = calendar or WorkCalendar.danish(range(start.year, end.year + 1))
    windows: list[FreezeWindow] = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        last_day = date(ny, nm, 1) - timedelta(days=1)
        last = cal.index_of(last_day, previous=True)
        first_of_month = cal.index_of(date(y, m, 1))
        first = max(last - days + 1, first_of_month)
        w_start, w_end = max(cal.date_of(first), start), min(cal.date_of(last), end)
        if first <= last and w_start <= w_end:
            windows.append(FreezeWindow(start=w_start, end=w_end, label=label, domain=domain))
        y, m = ny, nm
    return windows


# --- recurring rules ----------------------------------------------------------------------------------

SUMMER_HOLIDAY = "summer_holiday"
PAYROLL_RUN = "payroll_run"
PAYOUT_RUN = "payout_run"
YEAR_END = "year_end"
RULE_KINDS = (SUMMER_HOLIDAY, PAYROLL_RUN, PAYOUT_RUN, YEAR_END)


@dataclass(frozen=True)
class RuleSpec:
    """A recurring calendar rule, expanded into one dated window per year or month by ``rule_windows``.

    ``summer_holiday``  ISO weeks ``week_from``–``week_to`` of every year (fællesferie: 28–30)
    ``payroll_run``     the last ``days`` working days of every month, pay day included (reporting deadline
    ``payout_run``      to pay day): no go-live of the area in its monthly run
    ``year_end``        ``month_from``/``day_from`` to ``month_to``/``day_to`` every year (finance closing)
    """

    kind: str
    label: str
    blocks: str = GO_LIVE
    domain: str | None = None
    vendor: str | None = None
    days: int = 3
    week_from: int | None = None
    week_to: int | None = None
    month_from: int | None = None
    day_from: int | None = None
    month_to: int | None = None
    day_to: int | None = None


def rule_windows(rule: RuleSpec, years: Iterable[int], calendar: WorkCalendar) -> list[FreezeWindow]:
    """The dated windows of ``rule`` over ``years`` (working days from ``calendar``)."""
    if rule.kind not in RULE_KINDS:
        raise ValueError(f"unknown rule kind {rule.kind!r}")
    ys = sorted(set(years))
    if not ys:
        return []
    base = {"label": rule.label, "domain": rule.domain, "vendor": rule.vendor, "blocks": rule.blocks}
    out: list[FreezeWindow] = []
    if rule.kind == SUMMER_HOLIDAY:
        w0, w1 = rule.week_from or 28, rule.week_to or 30
        for y in ys:
            if w1 < w0:
                continue
            out.append(FreezeWindow(start=date.fromisocalendar(y, w0, 1), end=date.fromisocalendar(y, w1, 7), **base))
    elif rule.kind == YEAR_END:
        m0, d0 = rule.month_from or 12, rule.day_from or 1
        m1, d1 = rule.month_to or 12, rule.day_to or 31
        for y in ys:
            start = date(y, m0, d0)
            end = date(y if (m1, d1) >= (m0, d0) else y + 1, m1, d1)
            out.append(FreezeWindow(start=start, end=end, **base))
    else:
        for w in month_end_freezes(
            domain=rule.domain or "", start=date(ys[0], 1, 1), end=date(ys[-1], 12, 31), days=max(rule.days, 1),
            label=rule.label, calendar=calendar,
        ):
            out.append(FreezeWindow(start=w.start, end=w.end, **base))
    return out
