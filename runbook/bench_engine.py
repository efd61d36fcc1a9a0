"""National-size problems for the scheduling engine, and a timing run of them.

``reform_problem(member_counts, copies)`` is the REAL map of the 2007 reform in engine form: one merger per
real merger with its real number of members (pass ``mergeplan.reform.reform_map().member_counts()``: 65
mergers, 251 members with the split parts), each with the drejebog's once-per-merger steps and, per area
(the demo's 13: KMD for the registers, the municipalities' own IT for infrastructure and telephony), the
conversion tables of every member, trial conversion, test, dress rehearsal, training and the cutover with
the area's legal binding. Steps, durations and dispensations are generated (synthetic-shaped): only the
mergers and their sizes are real. ``copies=3`` repeats the reform three times — a synthetic scale-up for
benchmarks only.

``synthetic_problem()`` is the older, fully synthetic shape — 66 mergers, each with the 37 once-per-merger
steps of the drejebog and about 34 conversions of 12 steps each (≈30,000 steps, ≈60,000 dependencies) —
deterministic from a seed. ``main()`` times ``schedule`` on it per scenario, and on one merger alone:

    .venv/bin/python -m runbook.bench_engine [--mergers 66] [--seed 0] [--repeat 5]

No Django import: a management command can wrap ``main(argv, out=self.stdout)``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TextIO

from .calendar import FreezeWindow, WorkCalendar, month_end_freezes
from .scheduling import (
    CapacityPeriod,
    DependencyIn,
    MergerIn,
    Problem,
    Scenario,
    StepIn,
    compare_scenarios,
    schedule,
)

LEGAL_DATE = date(2007, 1, 1)
DISPENSATION_DATE = date(2006, 7, 1)
STATUS_DATE = date(2006, 3, 1)
CAPACITIES = {"KMD": 40, "Fujitsu": 10, "Silkeborg Data": 6, "Software Innovation": 5}

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

# (domain, ((vendor, weight), ...)) of the systems converted; "infra" is local IT work without a vendor cap.
SYSTEMS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("payroll", (("KMD", 7), ("Silkeborg Data", 3))),
    ("finance", (("KMD", 6), ("Fujitsu", 4))),
    ("esdh", (("KMD", 4), ("Fujitsu", 3), ("Software Innovation", 3))),
    ("sickness", (("KMD", 1),)),
    ("pension", (("KMD", 1),)),
    ("housing", (("KMD", 1),)),
    ("social", (("KMD", 1),)),
    ("infra", (("Infra", 1),)),
)


def _freezes() -> list[FreezeWindow]:
    return [
        FreezeWindow(
            date(2006, 12, 22), date(2007, 1, 1), "KMD lukket (national konvertering)", vendor="KMD"
        ),
        FreezeWindow(date(2006, 12, 18), date(2006, 12, 31), "Årsafslutning", domain="finance"),
        *month_end_freezes(
            domain="payroll", start=date(2006, 1, 1), end=date(2007, 12, 31), label="Lønkørsel"
        ),
    ]


def synthetic_problem(n_mergers: int = 66, seed: int = 0) -> Problem:
    """The whole reform as one scheduling problem, deterministic for a given seed.

    Every third merger requested a dispensation from 2006-07-01, every sixth had it granted. Steps 1–3 of
    each drejebog are done and 4–5 in progress at the status date 2006-03-01. Per conversion: analyse,
    map, extract, cleanse, trial run, two validations (a fan), reconcile, sign-off, final extract, the
    cutover (domain and vendor) and verification. In the mergers that plan a rolling merger, cutovers of
    the same domain follow each other (which gives the waves their layers).
    """
    rng = random.Random(seed)
    steps: list[StepIn] = []
    deps: list[DependencyIn] = []
    mergers: list[MergerIn] = []
    next_id = 1

    def add(merger_id: int, duration: int, kind: str = "task", **kw) -> int:
        nonlocal next_id
        sid = next_id
        next_id += 1
        steps.append(StepIn(id=sid, merger_id=merger_id, duration=duration, kind=kind, **kw))
        return sid

    def dep(p: int, s: int, lag: int = 0, type: str = "FS") -> None:
        deps.append(DependencyIn(predecessor_id=p, successor_id=s, lag=lag, type=type))

    for m in range(1, n_mergers + 1):
        requested = m % 3 == 1
        granted = m % 6 == 1
        mergers.append(
            MergerIn(
                id=m,
                legal_date=LEGAL_DATE,
                dispensation_date=DISPENSATION_DATE if requested else None,
                dispensation_granted=granted,
            )
        )
        t: dict[int, int] = {}
        start = STATUS_DATE - timedelta(days=rng.randint(40, 60))
        for number, duration, after, kind in TEMPLATE:
            jitter = duration + rng.randint(-duration // 5, duration // 5) if duration else 0
            if number <= 3:
                kw = {"status": "done", "actual_start": start, "actual_finish": start + timedelta(days=12)}
            elif number in (4, 5):
                kw = {
                    "status": "in_progress",
                    "actual_start": STATUS_DATE - timedelta(days=rng.randint(1, 10)),
                }
            else:
                kw = {}
            t[number] = add(m, jitter, kind, **kw)
            for a in after:
                dep(t[a], t[number])

        last_cutover: dict[str, int] = {}
        for _ in range(rng.randint(30, 38)):
            domain, choices = SYSTEMS[rng.randrange(len(SYSTEMS))]
            vendor = rng.choices([v for v, _ in choices], weights=[w for _, w in choices])[0]
            analyse = add(m, rng.randint(3, 8))
            dep(t[9], analyse)
            mapping = add(m, rng.randint(3, 8))
            dep(analyse, mapping)
            dep(t[19], mapping, type="SS", lag=5)
            extract = add(m, 2)
            dep(mapping, extract)
            cleanse = add(m, rng.randint(3, 10))
            dep(extract, cleanse)
            dep(t[7], cleanse)
            trial = add(m, 3)
            dep(cleanse, trial)
            dep(t[22], trial, type="SS", lag=2)
            validations = [add(m, rng.randint(2, 4)) for _ in range(2)]
            for v in validations:
                dep(trial, v, type="SS", lag=1)
                dep(trial, v)
            reconcile = add(m, 2)
            for v in validations:
                dep(v, reconcile)
            dep(cleanse, reconcile)
            signoff = add(m, 1, "checkpoint")
            dep(reconcile, signoff)
            dep(t[26], signoff)
            final = add(m, 1)
            dep(signoff, final)
            dep(t[27], final)
            dep(t[28], final, lag=-5)
            cutover = add(m, rng.choice((1, 1, 2, 3)), "cutover", domain=domain, vendor=vendor)
            dep(final, cutover)
            if requested and domain in last_cutover:
                dep(last_cutover[domain], cutover, lag=1)
            last_cutover[domain] = cutover
            verify = add(m, 2)
            dep(cutover, verify)
            dep(cutover, t[29])
            dep(verify, t[31])
            dep(verify, t[33], type="SS")

    return Problem(
        status_date=STATUS_DATE,
        mergers=tuple(mergers),
        steps=tuple(steps),
        dependencies=tuple(deps),
        calendar=WorkCalendar.danish(range(2005, 2009), _freezes()),
        capacities=dict(CAPACITIES),
    )


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
REFORM_CAPACITIES = {"KMD": 20}
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
        sid = next_id
        next_id += 1
        steps.append(StepIn(id=sid, merger_id=merger_id, duration=duration, kind=kind, **kw))
        return sid

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


def _time(fn, repeat: int) -> tuple[float, float, float, object]:
    """(best, median) wall seconds and best CPU seconds of ``repeat`` calls, and the last result.

    CPU time is reported too because the machines are shared: under load, wall time mostly measures
    the neighbours."""
    times = []
    cpu = []
    result = None
    for _ in range(repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(times), statistics.median(times), min(cpu), result


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Print engine timings on the synthetic problem; returns an exit status."""
    parser = argparse.ArgumentParser(prog="bench_engine", description=__doc__.splitlines()[0])
    parser.add_argument("--mergers", type=int, default=66)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    out = out or sys.stdout

    def say(line: str = "") -> None:
        out.write(line + "\n")

    t0 = time.perf_counter()
    problem = synthetic_problem(args.mergers, args.seed)
    built = time.perf_counter() - t0
    say(
        f"synthetic problem: {len(problem.mergers)} mergers, {len(problem.steps):,} steps, "
        f"{len(problem.dependencies):,} dependencies (built in {built * 1000:.0f} ms)"
    )
    say(f"{'':22}{'best':>10}{'median':>10}{'cpu':>10}  findings  go-lives  last go-live")

    def row(label: str, best: float, median: float, cpu: float, unit: int = 1000, fmt: str = ".0f") -> str:
        return f"{label:<22}{best * unit:>8{fmt}}ms{median * unit:>8{fmt}}ms{cpu * unit:>8{fmt}}ms"

    for scenario in Scenario:
        best, median, cpu, sched = _time(lambda sc=scenario: schedule(problem, sc), args.repeat)
        go_lives = [r.go_live for r in sched.steps.values() if r.go_live]
        say(
            row(f"schedule {scenario.value}", best, median, cpu)
            + f"  {len(sched.findings):>8}  {len(go_lives):>8}  {max(go_lives, default='-')}"
        )
    best, median, cpu, summaries = _time(lambda: compare_scenarios(problem), max(1, args.repeat // 2))
    say(row("compare_scenarios", best, median, cpu))
    for sc, summary in summaries.items():
        peaks = dict(summary.vendor_peak)
        say(f"  {sc.value:<10} peak {peaks}  min slack {summary.min_slack}  findings {len(summary.findings)}")

    one = synthetic_problem(1, args.seed)
    for scenario in Scenario:
        best, median, cpu, _ = _time(lambda sc=scenario: schedule(one, sc), max(args.repeat, 20))
        say(
            row(f"one merger {scenario.value}", best, median, cpu, fmt=".1f")
            + f"  ({len(one.steps)} steps, {len(one.dependencies)} dependencies)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
