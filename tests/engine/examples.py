"""The hand-checked world of the engine's worked examples: the 2006–2007 Danish calendar with KMD's closure
and the payroll runs, and short constructors for steps, dependencies, mergers and problems."""

from __future__ import annotations

from datetime import date

from engine import DependencyIn, MergerIn, Problem, StepIn
from engine.calendar import FreezeWindow, WorkCalendar, month_end_freezes

D = date
LEGAL = D(2007, 1, 1)
BIG_BANG_DAY = D(2007, 1, 2)  # 1 January 2007 is nytårsdag
KMD_CLOSURE = FreezeWindow(D(2006, 12, 22), D(2007, 1, 1), "KMD lukket", vendor="KMD")
PAYROLL_RUNS = month_end_freezes(
    domain="payroll", start=D(2006, 1, 1), end=D(2006, 12, 31), label="Lønkørsel"
)
CAL = WorkCalendar.danish([2005, 2006, 2007], [KMD_CLOSURE, *PAYROLL_RUNS])


def task(id, duration, **kw):
    return StepIn(
        id=id, merger_id=kw.pop("merger_id", 1), duration=duration, kind=kw.pop("kind", "task"), **kw
    )


def cutover(id, duration=1, vendor="KMD", domain="payroll", **kw):
    return task(id, duration, kind="cutover", vendor=vendor, domain=domain, **kw)


def fs(p, s, lag=0):
    return DependencyIn(p, s, lag, "FS")


def ss(p, s, lag=0):
    return DependencyIn(p, s, lag, "SS")


def merger(id=1, dispensation=None, granted=False):
    return MergerIn(id=id, legal_date=LEGAL, dispensation_date=dispensation, dispensation_granted=granted)


def problem(steps, deps=(), *, status, mergers=None, capacities=None, cal=CAL):
    return Problem(
        status_date=status,
        mergers=tuple(mergers or (merger(),)),
        steps=tuple(steps),
        dependencies=tuple(deps),
        calendar=cal,
        capacities=capacities or {},
    )


def dates(result):
    return result.early_start, result.early_finish


def three_mergers(dispensation=None):
    """Two KMD payroll cutovers in each of three mergers, KMD able to take four a week."""
    mergers = [merger(m, dispensation=dispensation) for m in (1, 2, 3)]
    steps = [cutover(10 * m + k, merger_id=m) for m in (1, 2, 3) for k in (1, 2)]
    return problem(steps, status=D(2006, 6, 1), mergers=mergers, capacities={"KMD": 4})
