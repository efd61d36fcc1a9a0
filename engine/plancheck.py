"""The plan check: does a schedule read true to a Danish municipal IT chief? Pure, no Django import.

The engine places go-lives by the rules (``engine.placement``); this reads the result against the same
calendar and the domain's expectations and lists what a chief would not sign, per merger. A plan made by
the engine from the seeded data has no finding; a planner's pin, target or a late step can create one.

Kinds (``CheckFinding.kind``)
    go_live_closed               a go-live on a closed day or inside a freeze or rule window of its area
                                 (``label`` = the window)
    go_live_before_preparation   a go-live that starts before its area's training or dress rehearsal has
                                 finished (``step_ids`` = cutover, preparation step)
    not_just_in_time             the area's training finishes more than ``TRAINING_DAYS`` working days, or
                                 its dress rehearsal more than ``REHEARSAL_DAYS``, before the go-live
                                 (``days`` = how many working days before)
    binding_broken               a legal-date cutover not on the first working day of the new municipality;
                                 a dispensation-bound one before its gate; any other after its deadline
                                 (the legal date, or a may-follow area's latest date)
    vendor_overload              a vendor week over capacity (the national run aside)
    first_payroll_off_pay_day    the first payroll not on the first pay day after the payroll go-live
    reconciliation_before_payroll  payroll reconciliation planned before the first payroll
    user_work_in_holiday         training, a rehearsal or other user work inside a window that blocks work
Only steps still to do are checked (done and skipped steps are history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .calendar import WORK, WorkCalendar
from .model import Problem, Scenario, Schedule, StepIn
from .placement import go_live_window

TRAINING_DAYS = 20  # training finishes at most this many working days before the go-live it serves
REHEARSAL_DAYS = 30  # the dress rehearsal at most this many

CHECK_KINDS = (
    "go_live_closed",
    "go_live_before_preparation",
    "not_just_in_time",
    "binding_broken",
    "vendor_overload",
    "first_payroll_off_pay_day",
    "reconciliation_before_payroll",
    "user_work_in_holiday",
)
_TODO = ("not_started", "in_progress", "blocked")


@dataclass(frozen=True)
class CheckFinding:
    kind: str  # one of CHECK_KINDS
    merger_id: int
    step_ids: tuple[int, ...]
    date: date | None = None
    days: int = 0
    vendor: str | None = None
    week: str | None = None
    label: str = ""


def plan_check(
    problem: Problem, sched: Schedule, *, scenario: Scenario = Scenario.ACTUAL
) -> dict[int, list[CheckFinding]]:
    """The findings of every merger of ``problem`` (an empty list for a plan that reads true)."""
    cal = problem.calendar
    steps = {s.id: s for s in problem.steps}
    res = sched.steps
    mergers = {m.id: m for m in problem.mergers}
    preds: dict[int, list[int]] = {}
    for d in problem.dependencies:
        preds.setdefault(d.successor_id, []).append(d.predecessor_id)
    out: dict[int, list[CheckFinding]] = {m: [] for m in mergers}

    def add(f: CheckFinding) -> None:
        out.setdefault(f.merger_id, []).append(f)

    def wd(a: date, b: date) -> int:
        return cal.working_days_between(a, b)

    payroll_go_live: dict[int, date] = {}
    for s in steps.values():
        if s.kind == "cutover" and s.status != "skipped" and s.domain and s.domain.split("@")[0] == "payroll":
            g = res[s.id].go_live
            if g is not None:
                payroll_go_live[s.merger_id] = min(g, payroll_go_live.get(s.merger_id, g))

    for s in sorted(steps.values(), key=lambda s: s.id):
        r = res[s.id]
        if s.status not in _TODO:
            continue
        m = mergers[s.merger_id]
        if s.needs_users:
            w = _work_window_over(cal, r.planned_start, r.planned_finish, s)
            if w is not None:
                add(CheckFinding("user_work_in_holiday", s.merger_id, (s.id,), r.planned_start, label=w))
        if s.plan_tag == "first_payroll":
            pg = payroll_go_live.get(s.merger_id)
            expected = cal.pay_day_on_or_after(cal.add_working_days(pg, 1)) if pg else None
            day = r.planned_start
            if day != cal.pay_day_on_or_after(day) or (expected is not None and day != expected):
                add(CheckFinding("first_payroll_off_pay_day", s.merger_id, (s.id,), day))
        if s.plan_tag == "reconciliation":
            for p in _ancestors(s.id, preds):
                ps = steps[p]
                if ps.plan_tag == "first_payroll" and res[p].planned_start >= r.planned_start:
                    add(CheckFinding("reconciliation_before_payroll", s.merger_id, (s.id, p), r.planned_start))
        if s.kind != "cutover" or r.go_live is None:
            continue
        g = r.go_live
        start = r.planned_start
        label = _closed(cal, g, s)
        if label:
            add(CheckFinding("go_live_closed", s.merger_id, (s.id,), g, label=label))
        _check_binding(s, g, m, problem.status_date, scenario, cal, add)
        latest: dict[str, tuple[date, int]] = {}
        for p in _ancestors(s.id, preds):
            ps = steps[p]
            if ps.plan_tag not in ("training", "rehearsal") or ps.status == "skipped":
                continue
            if ps.domain is not None and ps.domain != s.domain:
                continue
            f = res[p].planned_finish
            if f >= start:
                add(CheckFinding("go_live_before_preparation", s.merger_id, (s.id, p), g, label=ps.plan_tag))
            if ps.plan_tag not in latest or f > latest[ps.plan_tag][0]:
                latest[ps.plan_tag] = (f, p)
        for tag, limit in (("training", TRAINING_DAYS), ("rehearsal", REHEARSAL_DAYS)):
            if tag in latest:
                f, p = latest[tag]
                gap = wd(f, g)
                if gap > limit and steps[p].status in _TODO:
                    add(CheckFinding("not_just_in_time", s.merger_id, (s.id, p), g, days=gap, label=tag))
    for f in sched.findings:
        if f.kind == "capacity_overflow":
            for mid in sorted({steps[i].merger_id for i in f.step_ids}):
                add(CheckFinding("vendor_overload", mid, f.step_ids, None, vendor=f.vendor, week=f.week,
                                 days=f.count - f.capacity))
    for findings in out.values():
        findings.sort(key=lambda f: (CHECK_KINDS.index(f.kind), f.date or date.min, f.step_ids))
    return out


def _ancestors(sid: int, preds: Mapping[int, list[int]]) -> list[int]:
    seen: set[int] = set()
    todo = list(preds.get(sid, ()))
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(preds.get(p, ()))
    return sorted(seen)


def _closed(cal: WorkCalendar, d: date, s: StepIn) -> str:
    """Why ``d`` is no day for ``s`` to go live ("" when it is one)."""
    if not cal.is_working_day(d):
        return "closed"
    w = cal.freeze_at(d, s.domain, s.vendor)
    return w.label if w is not None else ""


def _work_window_over(cal: WorkCalendar, a: date, b: date, s: StepIn) -> str | None:
    for w in cal.freezes:
        if w.blocks == WORK and w.applies_to(s.domain, s.vendor) and w.start <= b and a <= w.end:
            return w.label
    return None


def _check_binding(s: StepIn, g: date, m, status_date: date, scenario: Scenario, cal: WorkCalendar, add) -> None:
    gate, latest = go_live_window(
        binding=s.binding,
        scenario=scenario,
        legal_date=m.legal_date,
        dispensation_date=m.dispensation_date,
        dispensation_granted=m.dispensation_granted,
        status_date=status_date,
        latest=s.deadline if s.binding == "may_follow" else None,
    )
    legal_day = cal.next_working_day(m.legal_date)
    broken = False
    if s.binding == "legal_date":
        broken = g != legal_day
    elif g < cal.next_working_day(gate):
        broken = True
    elif s.post_merger or s.binding == "may_follow":
        broken = latest is not None and g > cal.previous_working_day(latest)
    else:
        broken = g > legal_day
    if broken:
        add(CheckFinding("binding_broken", s.merger_id, (s.id,), g, label=s.binding or "dispensation"))
