"""Properties of the scheduling engine on random DAGs (hypothesis)."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.calendar import FreezeWindow, WorkCalendar, month_end_freezes
from engine.scheduling import DependencyIn, MergerIn, Problem, Scenario, StepIn, schedule

D = date
LEGAL = D(2007, 1, 1)
BASE_FREEZES = (
    FreezeWindow(D(2006, 12, 22), D(2007, 1, 1), "KMD lukket", vendor="KMD"),
    *month_end_freezes(domain="payroll", start=D(2006, 1, 1), end=D(2007, 12, 31), label="Lønkørsel"),
)
PLAIN = WorkCalendar.danish(range(2005, 2009))
BASE = WorkCalendar.danish(range(2005, 2009), BASE_FREEZES)
VENDORS = ("KMD", "Fujitsu", "Infra")
DOMAINS = ("payroll", "finance", "esdh")

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _pinned_clock():
    """The engine needs no Django: shadow the suite's settings fixture so ``-p no:django`` works."""


def _random_problem(rng: random.Random, n: int, constrained: bool) -> Problem:
    """A random problem of ``n`` steps in ≤ 3 mergers; ids ascend along every dependency. With
    ``constrained=False``: one merger, only tasks and milestones after the merger (no deadlines, not even
    the legal date), no history, lags ≥ 0 — nothing binds but the dependencies."""
    ids = sorted(rng.sample(range(1, 500), n))
    status = D(2006, 3, 1) + timedelta(days=rng.randint(0, 280))

    def some_date(first: date, last: date) -> date:
        return first + timedelta(days=rng.randint(0, (last - first).days))

    n_mergers = rng.randint(1, 3) if constrained else 1
    mergers = []
    for m in range(1, n_mergers + 1):
        dispensation = (
            some_date(D(2006, 5, 1), D(2007, 1, 15)) if constrained and rng.random() < 0.7 else None
        )
        mergers.append(MergerIn(m, LEGAL, dispensation, dispensation is not None and rng.random() < 0.5))

    steps: list[StepIn] = []
    deps: list[DependencyIn] = []
    for k, sid in enumerate(ids):
        duration = rng.randint(0, 6)
        preds = sorted(rng.sample(range(k), min(k, rng.randint(0, 3))))
        for p in preds:
            if constrained:
                deps.append(DependencyIn(ids[p], sid, rng.randint(-2, 4), rng.choice(("FS", "FS", "SS"))))
            else:
                deps.append(DependencyIn(ids[p], sid, rng.randint(0, 4), rng.choice(("FS", "SS"))))
        kw: dict = {} if constrained else {"post_merger": True}
        kind = "milestone" if duration == 0 else "task"
        if constrained:
            kind = rng.choice(("task", "task", "cutover", "cutover", "checkpoint"))
            if kind == "cutover":
                kw.update(
                    vendor=rng.choice(VENDORS), domain=rng.choice(DOMAINS), post_merger=rng.random() < 0.2,
                    binding=rng.choice((None, "legal_date", "dispensation", "free")),
                )
                if rng.random() < 0.2:
                    kw["target"] = some_date(D(2006, 5, 1), D(2007, 1, 31))
            else:
                kw["direction"] = rng.choice(("asap", "alap"))
                kw["needs_users"] = rng.random() < 0.2
            if rng.random() < 0.1:
                kw["deadline"] = some_date(D(2006, 6, 1), D(2007, 3, 31))
            if rng.random() < 0.1:
                kw["not_before"] = some_date(D(2006, 3, 1), D(2006, 12, 31))
            # History only on sources, so that it is consistent with the dependencies.
            status_kind = rng.choice(("not_started",) * 6 + ("blocked", "skipped", "done", "in_progress"))
            if status_kind in ("done", "in_progress") and not preds:
                start = status - timedelta(days=rng.randint(1, 60))
                kw["actual_start"] = start
                if status_kind == "done":
                    kw["actual_finish"] = min(
                        start + timedelta(days=rng.randint(0, 20)), status - timedelta(1)
                    )
                kw["status"] = status_kind
            elif status_kind in ("blocked", "skipped"):
                kw["status"] = status_kind
        steps.append(StepIn(id=sid, merger_id=rng.randint(1, n_mergers), duration=duration, kind=kind, **kw))

    if not constrained:
        return Problem(status, tuple(mergers), tuple(steps), tuple(deps), PLAIN, {})
    extra = [
        FreezeWindow(
            start := some_date(D(2006, 5, 1), D(2007, 1, 31)),
            start + timedelta(days=rng.randint(0, 20)),
            "random",
            rng.choice((None, *DOMAINS)),
            rng.choice((None, *VENDORS)),
            rng.choice(("go_live", "work")),
        )
        for _ in range(rng.randint(0, 2))
    ]
    cal = WorkCalendar.danish(range(2005, 2009), (*BASE_FREEZES, *extra)) if extra else BASE
    capacities = {v: rng.randint(1, 3) for v in ("KMD", "Fujitsu") if rng.random() < 0.6}
    return Problem(status, tuple(mergers), tuple(steps), tuple(deps), cal, capacities)


def problems(*, constrained: bool = True) -> st.SearchStrategy[Problem]:
    """Random problems of ≤ 40 steps. The bulk comes from a seeded ``random.Random`` (hypothesis draws
    are too slow for hundreds of fields per example); the size still shrinks."""
    return st.builds(
        lambda n, seed: _random_problem(random.Random(seed), n, constrained),
        st.integers(1, 40),
        st.integers(0, 2**32 - 1),
    )


scenarios = st.sampled_from(list(Scenario))


def _gate(m: MergerIn, scenario: Scenario, binding: str | None = None) -> date:
    if scenario is Scenario.BIG_BANG or binding == "legal_date":
        return m.legal_date
    if binding == "free":
        return D(1990, 1, 1)
    if scenario is Scenario.ROLLING:
        return m.dispensation_date or m.legal_date
    return m.dispensation_date if m.dispensation_granted and m.dispensation_date else m.legal_date


def _scheduled(step: StepIn) -> bool:
    """Steps the forward pass places (history aside)."""
    return step.status in ("not_started", "blocked", "skipped") or (
        step.status == "in_progress" and step.actual_start is None
    )


@FAST
@given(problems(), scenarios)
def test_every_dependency_is_respected(p, scenario):
    s = schedule(p, scenario)
    idx = p.calendar.index_of
    steps = {x.id: x for x in p.steps}
    status = idx(p.status_date)
    for x in p.steps:
        r = s.steps[x.id]
        duration = 0 if x.status == "skipped" else x.duration
        if _scheduled(x):
            assert idx(r.early_start) >= status
            if x.kind == "cutover" and x.status != "skipped":
                assert idx(r.early_finish) - idx(r.early_start) == max(duration - 1, 0)
            else:
                assert idx(r.early_finish) - idx(r.early_start) == max(duration - 1, 0)
    for dep in p.dependencies:
        succ = steps[dep.successor_id]
        if not _scheduled(succ):
            continue
        pred = steps[dep.predecessor_id]
        rp, rs = s.steps[pred.id], s.steps[succ.id]
        if dep.type == "SS":
            assert idx(rs.early_start) >= idx(rp.early_start) + dep.lag
        else:
            milestone = pred.duration == 0 or (pred.status == "skipped" and pred.actual_start is None)
            release = idx(rp.early_finish) + (0 if milestone else 1)
            assert idx(rs.early_start) >= release + dep.lag


@FAST
@given(problems(), scenarios)
def test_slack_and_critical_path_when_feasible(p, scenario):
    s = schedule(p, scenario)
    idx = p.calendar.index_of
    for r in s.steps.values():
        # slack measures the work, which is never later than the plan's early dates
        assert r.total_slack >= idx(r.late_finish) - idx(r.early_finish) == idx(r.late_start) - idx(r.early_start)
    if not s.feasible:
        return
    assert all(r.total_slack >= 0 for r in s.steps.values())
    linked = {(d.predecessor_id, d.successor_id) for d in p.dependencies}
    merger_of = {x.id: x.merger_id for x in p.steps}
    todo = {x.id for x in p.steps if x.status in ("not_started", "blocked", "in_progress")}
    for m, chain in s.critical_path.items():
        least = min((s.steps[i].total_slack for i in todo if merger_of[i] == m), default=None)
        assert all(s.steps[i].total_slack == least and s.steps[i].critical for i in chain)
        assert all((a, b) in linked for a, b in zip(chain, chain[1:], strict=False))


def _longest_path(p: Problem) -> int:
    """Working days from the status date to the end of the longest chain, on plain integers."""
    start: dict[int, int] = {}
    finish: dict[int, int] = {}
    duration = {x.id: x.duration for x in p.steps}
    preds: dict[int, list[DependencyIn]] = {x.id: [] for x in p.steps}
    for d in p.dependencies:
        preds[d.successor_id].append(d)
    for sid in sorted(duration):  # generated ids ascend along every dependency
        s = 0
        for d in preds[sid]:
            q = d.predecessor_id
            if d.type == "SS":
                s = max(s, start[q] + d.lag)
            else:
                s = max(s, finish[q] + (1 if duration[q] else 0) + d.lag)
        start[sid] = s
        finish[sid] = s + max(duration[sid] - 1, 0)
    return max(finish.values()) + 1


@FAST
@given(problems(constrained=False))
def test_critical_path_is_the_longest_path(p):
    s = schedule(p)
    cal = p.calendar
    chain = s.critical_path[1]
    assert chain, "with nothing but dependencies to bind, some path is critical"
    first, last = s.steps[chain[0]], s.steps[chain[-1]]
    assert first.early_start == cal.next_working_day(p.status_date)
    assert cal.working_days_between(first.early_start, last.early_finish) + 1 == _longest_path(p)
    assert last.early_finish == max(r.early_finish for r in s.steps.values())
    assert min(r.total_slack for r in s.steps.values()) == 0
    assert all(s.steps[i].total_slack == 0 for i in chain)


@FAST
@given(problems(), scenarios)
def test_go_lives_respect_gates_and_freezes(p, scenario):
    s = schedule(p, scenario)
    cal = p.calendar
    mergers = {m.id: m for m in p.mergers}
    for x in p.steps:
        r = s.steps[x.id]
        if x.kind != "cutover" or x.status == "skipped":
            assert r.go_live is None and r.wave is None
            continue
        assert r.go_live == r.early_finish and r.wave is not None
        if x.status == "done" or (x.status == "in_progress" and x.actual_start is not None):
            continue
        assert cal.is_working_day(r.go_live)
        if "national_run" in r.placement:  # the legal-date batch: on the legal day whatever the freezes
            assert r.go_live >= cal.next_working_day(LEGAL)
            continue
        assert cal.freeze_at(r.go_live, x.domain, x.vendor) is None
        assert r.go_live >= cal.next_working_day(_gate(mergers[x.merger_id], scenario, x.binding))


@FAST
@given(problems(), scenarios)
def test_capacity_holds_unless_reported(p, scenario):
    s = schedule(p, scenario)
    load: Counter = Counter()
    counted: Counter = Counter()
    for x in p.steps:
        r = s.steps[x.id]
        if r.go_live is not None and x.vendor is not None:
            year, week, _ = r.go_live.isocalendar()
            load[x.vendor, f"{year}-W{week:02d}"] += 1
            if "national_run" not in r.placement:
                counted[x.vendor, f"{year}-W{week:02d}"] += 1
    assert {(v, w): c for v, weeks in s.vendor_load.items() for w, c in weeks.items()} == dict(load)
    load = counted
    overflows = {(f.vendor, f.week): f.count for f in s.findings if f.kind == "capacity_overflow"}
    for (vendor, week), count in load.items():
        cap = p.capacities.get(vendor)
        if cap is not None and count > cap:
            assert overflows[vendor, week] == count
        else:
            assert (vendor, week) not in overflows


@FAST
@given(problems(), scenarios)
def test_every_missed_deadline_is_reported(p, scenario):
    s = schedule(p, scenario)
    cal = p.calendar
    late = {f.step_ids[-1] for f in s.findings if f.kind in ("deadline_missed", "gate_after_deadline")}
    deps = {(d.predecessor_id, d.successor_id) for d in p.dependencies}
    for f in s.findings:
        if f.kind == "deadline_missed":
            assert f.days == cal.working_days_between(f.date, s.steps[f.step_ids[-1]].early_finish) > 0
            assert all((a, b) in deps for a, b in zip(f.step_ids, f.step_ids[1:], strict=False))
    for x in p.steps:
        if x.status == "skipped":
            continue
        deadline = None
        if x.kind == "cutover":
            big_bang = cal.next_working_day(LEGAL)
            deadline = x.deadline if x.post_merger else min(x.deadline or big_bang, big_bang)
        elif x.deadline is not None:
            deadline = x.deadline
        if deadline is not None and s.steps[x.id].early_finish > cal.previous_working_day(deadline):
            assert x.id in late


@FAST
@given(problems(), scenarios)
def test_recomputing_gives_an_identical_schedule(p, scenario):
    first = schedule(p, scenario)
    again = schedule(dataclasses.replace(p, steps=p.steps[::-1], dependencies=p.dependencies[::-1]), scenario)
    assert again == first


@FAST
@given(problems(), scenarios)
def test_planned_dates_respect_every_dependency_and_alap_never_delays(p, scenario):
    s = schedule(p, scenario)
    idx = p.calendar.index_of
    steps = {x.id: x for x in p.steps}
    for x in p.steps:
        r = s.steps[x.id]
        if x.direction == "asap" or x.kind == "cutover" or not _scheduled(x):
            assert (r.planned_start, r.planned_finish) == (r.early_start, r.early_finish)
        else:  # as late as possible, but never before its early dates nor after its late finish when it can
            assert r.planned_finish >= r.early_finish
            assert idx(r.planned_finish) - idx(r.planned_start) == idx(r.early_finish) - idx(r.early_start)
            if r.late_finish >= r.early_finish:
                assert r.planned_finish <= r.late_finish
    for dep in p.dependencies:
        succ, pred = steps[dep.successor_id], steps[dep.predecessor_id]
        if not _scheduled(succ) or not _scheduled(pred):
            continue
        rp, rs = s.steps[pred.id], s.steps[succ.id]
        if dep.type == "SS":
            assert idx(rs.planned_start) >= idx(rp.planned_start) + dep.lag
        else:
            milestone = pred.duration == 0 or pred.status == "skipped"
            release = idx(rp.planned_finish) + (0 if milestone else 1)
            assert idx(rs.planned_start) >= release + dep.lag


@FAST
@given(problems(), scenarios)
def test_user_work_and_go_lives_stay_out_of_windows_that_block_work(p, scenario):
    s = schedule(p, scenario)
    cal = p.calendar
    for x in p.steps:
        r = s.steps[x.id]
        if not (x.needs_users and _scheduled(x) and x.status != "skipped") or x.direction == "alap":
            continue
        for w in cal.freezes:
            if w.blocks == "work" and w.applies_to(x.domain, x.vendor):
                assert r.early_finish < w.start or r.early_start > w.end


@FAST
@given(problems())
def test_spreading_never_breaks_a_deadline_that_the_unplaced_plan_met(p):
    spread = schedule(p, Scenario.ROLLING)
    unplaced = schedule(dataclasses.replace(p, capacities={}), Scenario.ROLLING)
    if any(x.target for x in p.steps):
        return
    late = {f.step_ids[-1] for f in spread.findings if f.kind == "deadline_missed"}
    met = {f.step_ids[-1] for f in unplaced.findings if f.kind in ("deadline_missed", "gate_after_deadline")}
    assert late <= met


@FAST
@given(problems(), scenarios)
def test_one_merger_does_not_depend_on_others_without_a_shared_vendor(p, scenario):
    own = [x for x in p.steps if x.merger_id == 1]
    shared = {x.vendor for x in p.steps if x.merger_id != 1 and x.kind == "cutover"}
    if shared & {x.vendor for x in own if x.kind == "cutover"} & set(p.capacities):
        return
    ids = {x.id for x in own}
    alone = dataclasses.replace(
        p,
        mergers=tuple(m for m in p.mergers if m.id == 1),
        steps=tuple(own),
        dependencies=tuple(d for d in p.dependencies if d.successor_id in ids and d.predecessor_id in ids),
    )
    if len(alone.dependencies) != sum(1 for d in p.dependencies if d.successor_id in ids or d.predecessor_id in ids):
        return  # a random dependency crosses mergers (the app never makes one)
    together, apart = schedule(p, scenario), schedule(alone, scenario)
    for i in sorted(ids):
        assert together.steps[i] == apart.steps[i], (together.steps[i], apart.steps[i])
