"""National-size benchmark problems for the engine, built in memory from the merger sizes alone.

``reform_problem(member_counts, copies)`` is the REAL map of the 2007 reform in engine form: one merger per
real merger with its real number of members (pass ``demo.reform.reform_map().member_counts()``: 65
mergers, 251 members with the split parts), each with the drejebog's once-per-merger steps and, per area
(the demo's 13: KMD for the registers, the municipalities' own IT for infrastructure and telephony), the
conversion tables of every member, trial conversion, test, dress rehearsal, training and the cutover with
the area's legal binding. Steps, durations and dispensations are generated (synthetic-shaped): only the
mergers and their sizes are real. ``copies=3`` repeats the reform three times — a synthetic scale-up for
benchmarks only.

Pure like the rest of the engine (the member counts are passed in), so the engine can be timed and
compared without the app: ``manage.py bench_schedule`` (demo) times ``schedule`` on it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from .calendar import FreezeWindow, WorkCalendar, month_end_freezes
from .model import CapacityPeriod, DependencyIn, MergerIn, Problem, StepIn

LEGAL_DATE = date(2007, 1, 1)
DISPENSATION_DATE = date(2006, 7, 1)
STATUS_DATE = date(2006, 3, 1)

# The drejebog of DOMAIN.md: (number, duration, predecessors, kind). Step 29 becomes the milestone
# "all cutovers done"; the cutovers themselves are per conversion.
TEMPLATE: tuple[tuple[int, int, tuple[int, ...], str], ...] = (
    (1, 5, (), "task"),
    (2, 10, (1,), "task"),
    (3, 20, (2,), "task"),
    (4, 15, (1,), "task"),
    (5, 10, (1,), "task"),
    (6, 10, (4,), "task"),
    (7, 15, (4,), "task"),
    (8, 5, (4, 5, 6, 7), "task"),
    (9, 20, (8,), "task"),
    (10, 10, (9,), "checkpoint"),
    (11, 20, (9,), "task"),
    (12, 20, (9,), "task"),
    (13, 15, (9,), "task"),
    (14, 10, (9,), "task"),
    (15, 10, (9, 10), "task"),
    (16, 20, (5,), "task"),
    (17, 25, (16,), "task"),
    (18, 20, (16,), "task"),
    (19, 15, (7, 11, 12), "task"),
    (20, 10, (19,), "task"),
    (21, 30, (11, 12, 19), "task"),
    (22, 10, (19,), "task"),
    (23, 20, (9,), "task"),
    (24, 15, (22,), "task"),
    (25, 10, (21, 22), "task"),
    (26, 5, (24, 25), "checkpoint"),
    (27, 10, (26,), "task"),
    (28, 15, (13, 26), "task"),
    (29, 0, (27,), "milestone"),
    (30, 5, (29,), "task"),
    (31, 1, (29,), "task"),
    (32, 0, (31,), "milestone"),
    (33, 20, (32,), "task"),
    (34, 0, (32,), "milestone"),
    (35, 10, (34,), "task"),
    (36, 40, (33,), "task"),
    (37, 10, (36,), "task"),
)


def _freezes() -> list[FreezeWindow]:
    """KMD's closure over the national conversion, the finance year-end and the monthly payroll runs."""
    return [
        FreezeWindow(
            date(2006, 12, 22), date(2007, 1, 1), "KMD lukket (national konvertering)", vendor="KMD"
        ),
        FreezeWindow(date(2006, 12, 18), date(2006, 12, 31), "Årsafslutning", domain="finance"),
        *month_end_freezes(
            domain="payroll", start=date(2006, 1, 1), end=date(2007, 12, 31), label="Lønkørsel"
        ),
    ]


#: The areas of the real-map problem (the demo's): (domain, vendor, binding, holds data and converted locally).
#: "Infra" is the municipalities' own IT, without a capacity.
REFORM_AREAS: tuple[tuple[str, str, str, bool], ...] = (
    ("payroll", "KMD", "legal_date", True),
    ("finance", "KMD", "legal_date", True),
    ("property_tax", "KMD", "legal_date", True),
    ("debt_collection", "KMD", "dispensation", True),
    ("esdh", "KMD", "free", True),
    ("sickness_benefit", "KMD", "dispensation", True),
    ("pensions", "KMD", "dispensation", True),
    ("housing_benefit", "KMD", "dispensation", True),
    ("social_assistance", "KMD", "dispensation", True),
    ("bbr", "KMD", "dispensation", True),
    ("cpr", "KMD", "legal_date", False),  # converted centrally: interfaces re-pointed only
    ("infrastructure", "Infra", "free", False),
    ("telephony", "Infra", "free", False),
)
#: KMD's national capacity (the demo's assumption, I) and its summer period
REFORM_CAPACITIES = {"KMD": 26}  # as seeded (demo.inventory.VENDORS), an assumption
REFORM_CAPACITY_PERIODS = (CapacityPeriod("KMD", date(2006, 6, 19), date(2006, 8, 13), 10),)


def reform_problem(
    member_counts: Sequence[int], copies: int = 1, seed: int = 0, *, dispensation: str = "granted"
) -> Problem:
    """The real map of the reform (one merger per entry of ``member_counts``) as one scheduling problem.

    ``copies`` > 1 repeats the whole reform (synthetic scale-up, benchmarks only). ``dispensation``:
    "granted" (every merger from 2006-07-01, the rolling scenario), "applied" or "none".
    """
    rng = random.Random(seed)
    steps: list[StepIn] = []
    deps: list[DependencyIn] = []
    mergers: list[MergerIn] = []
    next_id = 1

    def add(merger_id: int, duration: int, kind: str = "task", **kw) -> int:
        nonlocal next_id
        next_id += 1
        steps.append(StepIn(id=next_id - 1, merger_id=merger_id, duration=duration, kind=kind, **kw))
        return next_id - 1

    def dep(p: int, s: int, lag: int = 0, type: str = "FS") -> None:
        deps.append(DependencyIn(predecessor_id=p, successor_id=s, lag=lag, type=type))

    m = 0
    for _copy in range(copies):
        for members in member_counts:
            m += 1
            mergers.append(
                MergerIn(
                    id=m,
                    legal_date=LEGAL_DATE,
                    dispensation_date=None if dispensation == "none" else DISPENSATION_DATE,
                    dispensation_granted=dispensation == "granted",
                )
            )
            t: dict[int, int] = {}
            start = STATUS_DATE - timedelta(days=rng.randint(40, 60))
            for number, duration, after, kind in TEMPLATE:
                if number <= 3:
                    kw = {"status": "done", "actual_start": start, "actual_finish": start + timedelta(days=12)}
                elif number in (4, 5):
                    kw = {"status": "in_progress", "actual_start": STATUS_DATE - timedelta(days=rng.randint(1, 10))}
                else:
                    kw = {"post_merger": number >= 33}
                t[number] = add(m, duration, kind, **kw)
                for a in after:
                    dep(t[a], t[number])
            for domain, vendor, binding, converted in REFORM_AREAS:
                ready = t[27]
                if converted:
                    tables = [add(m, 15) for _ in range(members)]  # every old code, the seat's included
                    for table in tables:
                        for a in (7, 11, 12):
                            dep(t[a], table)
                    trial = add(m, 10, direction="alap")
                    for table in tables:
                        dep(table, trial)
                    test = add(m, 15, direction="alap")
                    dep(trial, test)
                    ready = test
                rehearsal = add(m, 5, "checkpoint", direction="alap", needs_users=True, plan_tag="rehearsal")
                dep(ready, rehearsal)
                dep(t[21] if domain == "payroll" else t[9], rehearsal)
                fix = add(m, 10, direction="alap")
                dep(rehearsal, fix)
                training = add(m, 15, direction="alap", needs_users=True, plan_tag="training")
                dep(rehearsal, training)
                dep(t[13], training)
                cutover = add(m, 3 if binding == "legal_date" and converted else rng.choice((1, 2)), "cutover",
                              domain=domain, vendor=vendor, binding=binding)
                dep(fix, cutover)
                dep(training, cutover)
                verify = add(m, 1)
                dep(cutover, verify)
                dep(cutover, t[29])
                dep(verify, t[31])

    return Problem(
        status_date=STATUS_DATE,
        mergers=tuple(mergers),
        steps=tuple(steps),
        dependencies=tuple(deps),
        calendar=WorkCalendar.danish(range(2005, 2009), _freezes()),
        capacities=dict(REFORM_CAPACITIES),
        capacity_periods=REFORM_CAPACITY_PERIODS,
    )
