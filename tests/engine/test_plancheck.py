"""The plan check on hand-made schedules: each kind of finding, and none for a plan that reads true."""

from __future__ import annotations

from datetime import date

from engine import DependencyIn, MergerIn, Problem, Scenario, StepIn, schedule
from engine.calendar import WORK, FreezeWindow, WorkCalendar
from engine.plancheck import plan_check

D = date
SUMMER = FreezeWindow(D(2006, 7, 10), D(2006, 7, 30), "Fællesferie", blocks=WORK)
PAYOUT = FreezeWindow(D(2006, 8, 29), D(2006, 8, 31), "Udbetaling af ydelser", domain="pensions")
CAL = WorkCalendar.danish([2005, 2006, 2007], [SUMMER, PAYOUT])
MERGER = MergerIn(1, D(2007, 1, 1), D(2006, 7, 1), True)



def area(base: int, domain: str, binding: str, *, cutover_kw=None, training_kw=None) -> tuple[list, list]:
    """Rehearsal → training → cutover of one area (ids base+1 … base+3)."""
    training = {"direction": "alap", "needs_users": True, "plan_tag": "training", **(training_kw or {})}
    steps = [
        StepIn(base + 1, 1, 5, "checkpoint", domain=domain, direction="alap", needs_users=True, plan_tag="rehearsal"),
        StepIn(base + 2, 1, 10, "task", domain=domain, **training),
        StepIn(base + 3, 1, 1, "cutover", domain=domain, vendor="KMD", binding=binding, **(cutover_kw or {})),
    ]
    deps = [DependencyIn(base + 1, base + 2), DependencyIn(base + 2, base + 3)]
    return steps, deps


def check(steps, deps, status=None):
    p = Problem(status or D(2006, 3, 15), (MERGER,), tuple(steps), tuple(deps), CAL, {"KMD": 1})
    s = schedule(p)
    return s, plan_check(p, s, scenario=Scenario.ACTUAL)[1]


def test_a_plan_made_by_the_engine_reads_true():
    steps, deps = area(0, "pensions", "dispensation")
    more, more_deps = area(10, "payroll", "legal_date")
    payday = StepIn(21, 1, 0, "milestone", plan_tag="first_payroll", post_merger=True)
    recon = StepIn(22, 1, 5, "task", plan_tag="reconciliation", post_merger=True)
    s, found = check(
        [*steps, *more, payday, recon],
        [*deps, *more_deps, DependencyIn(13, 21), DependencyIn(21, 22, 1)],
    )
    assert found == []
    assert s.steps[13].go_live == D(2007, 1, 2) and s.steps[21].planned_start == D(2007, 1, 31)


def test_training_long_before_the_go_live_is_not_just_in_time():
    steps, deps = area(0, "pensions", "dispensation", training_kw={"direction": "asap"})
    _, found = check(steps, deps)
    # the rehearsal before it is pulled early too
    assert [(f.kind, f.label, f.step_ids) for f in found] == [
        ("not_just_in_time", "rehearsal", (3, 1)), ("not_just_in_time", "training", (3, 2)),
    ]
    assert found[0].days > 30 and found[1].days > 20


def test_legal_binding_broken_when_the_work_is_late():
    steps, deps = area(0, "payroll", "legal_date", cutover_kw={"not_before": D(2007, 1, 10)})
    _, found = check(steps, deps)
    assert ("binding_broken", (3,)) in [(f.kind, f.step_ids) for f in found]


def test_go_live_before_its_training_and_user_work_in_the_summer_holiday():
    # a training under way in the summer holiday, and a go-live that cannot wait for it
    steps = [
        StepIn(1, 1, 10, "task", domain="pensions", plan_tag="training", needs_users=True, status="in_progress",
               actual_start=D(2006, 7, 3)),
        StepIn(2, 1, 1, "cutover", domain="pensions", vendor="KMD", binding="free", status="in_progress",
               actual_start=D(2006, 6, 1)),
    ]
    _, found = check(steps, [], status=D(2006, 7, 5))
    assert {f.kind for f in found} == {"user_work_in_holiday"}  # not linked: not the go-live's preparation
    _, found = check(steps, [DependencyIn(1, 2, 0, "SS")], status=D(2006, 7, 5))
    assert {f.kind for f in found} == {"go_live_before_preparation", "user_work_in_holiday"}


def test_first_payroll_off_pay_day_and_reconciliation_before_it():
    payroll = StepIn(1, 1, 1, "cutover", domain="payroll", vendor="KMD", binding="legal_date")
    first = StepIn(2, 1, 0, "milestone", plan_tag="first_payroll", post_merger=True)
    recon = StepIn(3, 1, 5, "task", plan_tag="reconciliation", post_merger=True)
    # the reconciliation does not wait for the payroll, and the "first payroll" is a plain task
    first_as_task = StepIn(2, 1, 1, "task", plan_tag="first_payroll", post_merger=True)
    _, found = check([payroll, first_as_task, recon], [DependencyIn(1, 2), DependencyIn(2, 3, -1, "SS")])
    assert {f.kind for f in found} == {"first_payroll_off_pay_day", "reconciliation_before_payroll"}
    _, found = check([payroll, first, recon], [DependencyIn(1, 2), DependencyIn(2, 3, 1)])
    assert found == []


def test_vendor_overload_and_go_live_in_a_window():
    # two go-lives that must both happen in the week of 3 July (capacity 1)
    steps = [StepIn(i, 1, 1, "cutover", domain="esdh", vendor="KMD", binding="free", deadline=D(2006, 7, 7),
                    not_before=D(2006, 7, 3)) for i in (1, 2)]
    _, found = check(steps, [])
    assert [(f.kind, f.week) for f in found] == [("vendor_overload", "2006-W27")]
    # the national run goes live on the legal day even in a window of its area: the check says so
    frozen = FreezeWindow(D(2007, 1, 2), D(2007, 1, 5), "Lokal frysning", domain="payroll")
    legal = StepIn(3, 1, 1, "cutover", domain="payroll", vendor="KMD", binding="legal_date")
    p = Problem(D(2006, 3, 15), (MERGER,), (legal,), (), WorkCalendar.danish([2006, 2007], [frozen]), {})
    found = plan_check(p, schedule(p))[1]
    assert [(f.kind, f.label) for f in found] == [("go_live_closed", "Lokal frysning")]
