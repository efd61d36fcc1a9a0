"""The seeded Tønder merger reads true to a Danish municipal IT chief, with and without the dispensation:
legal bindings, the Danish working year, just-in-time preparation, pay day and the plan check."""
import datetime as dt

import pytest

from demo.seed import demo_merger, seed_demo
from engine.calendar import WorkCalendar
from municipalities.models import DispensationStatus
from municipalities.services import merger_dispensation_set
from runbook.models import Runbook, Step, StepKind
from runbook.planning import graph_load, schedule_apply

pytestmark = pytest.mark.django_db

D = dt.date
LEGAL = D(2007, 1, 1)
LEGAL_DAY = D(2007, 1, 2)
DANISH = WorkCalendar.danish(range(2005, 2009))


@pytest.fixture
def toender():
    seed_demo(stdout=None)
    return demo_merger()


def _plan(merger, status):
    merger_dispensation_set(merger=merger, actor=None, status=status, date=D(2006, 7, 1), check_permission=False)
    schedule_apply(merger, status_date=D(2006, 3, 15))
    steps = {s.key: s for s in Step.objects.filter(runbook__merger=merger).select_related("domain", "assignee_vendor")}
    return steps, Runbook.objects.get(merger=merger), graph_load(merger.pk, status_date=D(2006, 3, 15))


@pytest.mark.parametrize("status", [DispensationStatus.GRANTED, DispensationStatus.REFUSED])
def test_toender_plan_reads_true(toender, status):
    # given the seeded merger, the dispensation granted from 1 July 2006 or withdrawn (refused)
    # when it is planned on the demo's date
    steps, runbook, graph = _plan(toender, status)
    cal = graph.problem.calendar
    cutovers = [s for s in steps.values() if s.kind == StepKind.CUTOVER]
    assert len(cutovers) == 13
    # then: no go-live in fællesferie (ISO weeks 28–30), on a closed day, or in a window of its area
    for c in cutovers:
        assert c.go_live.isocalendar()[1] not in (28, 29, 30), c.key
        assert DANISH.is_working_day(c.go_live), c.key
        if "national_run" not in c.placement:
            assert cal.freeze_at(c.go_live, c.domain.code, c.assignee_vendor.code) is None, c.key
    # a benefit area never goes live in its payout run (the last 3 working days to pay day), payroll never
    # in its run (the last 5): independently of the calendar rows the engine was given
    runs = {"sickness_benefit": 3, "pensions": 3, "housing_benefit": 3, "social_assistance": 3, "payroll": 5}
    for c in cutovers:
        if c.domain.code in runs:
            to_pay_day = DANISH.working_days_between(c.go_live, DANISH.pay_day_on_or_after(c.go_live))
            assert to_pay_day >= runs[c.domain.code], c.key
    # CPR, finance, payroll (and property tax) go live on the first working day of the new municipality
    for area in ("cpr", "finance", "payroll", "property_tax"):
        cut = steps[f"29-{area}"]
        assert cut.go_live == LEGAL_DAY and cut.placement[:2] == ["national_run", "legal_date"], area
    # every go-live after its area's training and dress rehearsal, which sit just in time before it
    for c in cutovers:
        area = c.domain.code
        training, rehearsal = steps[f"28-{area}"], steps[f"26-{area}"]
        assert training.planned_finish < c.planned_start and rehearsal.planned_finish < c.planned_start
        assert DANISH.working_days_between(training.planned_finish, c.go_live) <= 20, area
        assert DANISH.working_days_between(rehearsal.planned_finish, c.go_live) <= 30, area
        for prep in (training, rehearsal):  # and no user work in the summer holiday
            weeks = {prep.planned_start.isocalendar()[1], prep.planned_finish.isocalendar()[1]}
            assert not weeks & {28, 29, 30} or prep.planned_start.isocalendar()[1] > 30, prep.key
    # the first payroll on the first pay day after the payroll go-live, reconciliation after it
    first_payroll, reconcile = steps["34"], steps["35"]
    assert first_payroll.planned_start == D(2007, 1, 31)
    assert reconcile.planned_start > first_payroll.planned_start
    # no pre-merger step may finish after the legal date
    for s in steps.values():
        if not s.post_merger and s.kind != StepKind.CUTOVER:
            assert s.late_finish < LEGAL, (s.key, s.late_finish)
    # the critical path runs from today's work to a go-live
    path = [Step.objects.get(pk=i) for i in runbook.schedule_summary["critical_path"]]
    assert path[0].status == "in_progress" and any(s.kind == StepKind.CUTOVER for s in path)
    # and the plan check finds nothing
    assert runbook.plan_check == [] and runbook.schedule_findings == []


def test_with_the_dispensation_the_dispensation_bound_areas_go_early_and_spread(toender):
    steps, _, _ = _plan(toender, DispensationStatus.GRANTED)
    early = sorted((s.go_live, s.key) for s in steps.values() if s.kind == StepKind.CUTOVER and s.go_live < LEGAL)
    bound = {f"29-{a}" for a in ("sickness_benefit", "pensions", "housing_benefit", "social_assistance",
                                  "debt_collection", "bbr")}
    assert bound <= {k for _, k in early}
    assert all(g >= D(2006, 7, 3) for g, k in early if k in bound)
    weeks = [g.isocalendar()[:2] for g, k in early if steps[k].assignee_vendor.code == "kmd"]
    assert len(weeks) == len(set(weeks))  # KMD: one go-live a week, not packed into the first open week
    reasons = {k: steps[k].placement for _, k in early}
    assert any("capacity" in r for r in reasons.values())


def test_withdrawn_the_dispensation_bound_areas_join_the_national_run(toender):
    steps, runbook, _ = _plan(toender, DispensationStatus.REFUSED)
    for a in ("sickness_benefit", "pensions", "housing_benefit", "social_assistance"):
        assert steps[f"29-{a}"].go_live == LEGAL_DAY
    # free areas (infrastructure, telephony, ESDH run jointly) still go live before the legal date
    for a in ("infrastructure", "telephony", "esdh"):
        assert steps[f"29-{a}"].go_live < LEGAL and steps[f"29-{a}"].placement
    assert runbook.schedule_summary["scenarios"]["rolling"]["first_go_live"] < "2007-01-01"


def test_a_planner_target_in_the_summer_holiday_is_moved_and_a_late_step_is_found(toender):
    steps, _, _ = _plan(toender, DispensationStatus.GRANTED)
    # a target go-live inside fællesferie: the engine moves it out and says why
    Step.objects.filter(pk=steps["29-pensions"].pk).update(target_date=D(2006, 7, 19))
    schedule_apply(toender, status_date=D(2006, 3, 15))
    cut = Step.objects.get(pk=steps["29-pensions"].pk)
    assert cut.go_live.isocalendar()[1] not in (28, 29, 30)
    assert any(r.startswith("freeze:") or r == "target" for r in cut.placement)
    # a training pinned far ahead of its go-live: the plan check reports it
    Step.objects.filter(pk=steps["28-pensions"].pk).update(direction="asap")
    schedule_apply(toender, status_date=D(2006, 3, 15))
    kinds = {f["kind"] for f in Runbook.objects.get(merger=toender).plan_check}
    assert "not_just_in_time" in kinds


def test_blocking_a_step_on_the_critical_path_turns_the_merger_red_and_names_it(toender):
    from runbook.risks import risks_detect
    from runbook.selectors.overview import merger_summaries
    from runbook.services import step_transition

    steps, runbook, _ = _plan(toender, DispensationStatus.GRANTED)
    path = [Step.objects.get(pk=i) for i in runbook.schedule_summary["critical_path"]]
    step = next(s for s in path if s.status == "in_progress")
    # when the chief blocks it (the replan runs after commit, here at once)
    step_transition(step=step, status="blocked", actor=None, reason="Leverandøren mangler", check_permission=False)
    schedule_apply(toender, status_date=D(2006, 3, 15))
    risks_detect(merger_id=toender.pk, on=D(2006, 3, 15))
    # then
    verdict = merger_summaries([toender.pk])[toender.pk]["verdict"]
    assert verdict.level == "red"
    assert any(step.key in reason for reason in verdict.reasons), verdict.reasons
    blocked = Step.objects.get(pk=step.pk)
    assert blocked.is_critical and blocked.at_risk
    assert {r["code"] for r in blocked.risk_reasons} >= {"blocked_critical"}
