"""schedule_apply: loading in a fixed number of queries, writing results, waves, Events only for moves,
big bang versus rolling, baselines and slip, and the collapsing of recompute requests."""
import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import translation

from audit.models import Event
from municipalities.models import DispensationStatus, Merger, Role
from municipalities.services import merger_dispensation_set
from runbook.baselines import baseline_capture, baseline_compare
from runbook.models import Runbook, ScheduleRequest, Step, StepKind, Wave
from runbook.planning.apply import _apply, schedule_apply, schedule_apply_all
from runbook.planning.counters import _request_bump, _requested_counters
from runbook.planning.enqueue import recompute_enqueue
from runbook.planning.fetch import graph_load
from runbook.planning.runs import recompute_all, recompute_run
from runbook.selectors.steps import finding_message, schedule_for_merger
from runbook.services import step_update
from tests.factories import MembershipFactory, MergerFactory, UserFactory, merger_with_runbook

pytestmark = pytest.mark.django_db

LEGAL_GO_LIVE = dt.date(2007, 1, 2)  # 2007-01-01 is a holiday


def steps(merger, **filters):
    return Step.objects.filter(runbook__merger=merger, **filters).order_by("sequence")


def grant(merger, chief, granted=True):
    merger_dispensation_set(
        merger=merger,
        actor=chief,
        status=DispensationStatus.GRANTED if granted else DispensationStatus.APPLIED,
        date=dt.date(2006, 7, 1),
    )


# --- writing results ------------------------------------------------------------------------------


def test_apply_writes_dates_slack_critical_and_waves(merger):
    # when
    result = schedule_apply(merger)
    # then
    assert not result.skipped and result.steps_changed == result.steps_total == steps(merger).count()
    for s in steps(merger):
        assert s.planned_start is not None and s.planned_finish is not None
        assert (s.planned_start, s.planned_finish) == (s.early_start, s.early_finish)
        assert s.late_finish >= s.early_finish or s.total_slack < 0
        assert s.total_slack is not None
    first = steps(merger).first()
    assert first.planned_start == dt.date(2006, 3, 15)  # the pinned planning date
    cutovers = list(steps(merger, kind=StepKind.CUTOVER))
    assert {c.go_live for c in cutovers} == {LEGAL_GO_LIVE}  # no dispensation: big bang
    # on the legal day without a choice: KMD's national conversion run
    assert all(c.placement == ["national_run", "legal_date"] for c in cutovers)
    # slack measures the work against the legal day: months of it, the same along the longest path
    assert all(c.total_slack > 100 for c in cutovers)
    path = Runbook.objects.get(pk=merger.runbook.pk).schedule_summary["critical_path"]
    assert Step.objects.get(pk=path[0]).key == "1" and Step.objects.get(pk=path[-1]).kind in (
        StepKind.CUTOVER, StepKind.MILESTONE)
    waves = list(Wave.objects.filter(runbook=merger.runbook))
    assert [w.number for w in waves] == [1]
    assert waves[0].milestone_date == LEGAL_GO_LIVE
    assert {c.wave_id for c in cutovers} == {waves[0].pk}
    runbook = Runbook.objects.get(pk=merger.runbook.pk)
    assert runbook.scheduled_at is not None
    assert runbook.schedule_summary["critical_path"]
    assert set(runbook.schedule_summary["scenarios"]) == {"big_bang", "rolling"}
    # the first schedule fills empty dates: nothing "moved", so no Events
    assert not Event.objects.filter(verb="step_rescheduled").exists()


def test_events_only_for_moved_dates_and_none_on_a_second_run(merger, chief):
    schedule_apply(merger)
    survey = steps(merger, key="1").get()
    # when: the survey takes 5 more days (its successors before the checkpoint move; cutovers do not)
    step_update(step=survey, actor=chief, data={"duration_days": 10})
    schedule_apply(merger)
    # then
    moved = set(Event.objects.filter(verb="step_rescheduled").values_list("object_id", flat=True))
    expect = set(steps(merger).exclude(kind__in=[StepKind.CUTOVER, StepKind.MILESTONE]).values_list("pk", flat=True))
    assert moved == expect
    event = Event.objects.filter(verb="step_rescheduled", object_id=survey.pk).get()
    assert event.actor is None and event.merger_id == merger.pk
    assert event.changes["planned_finish"] == ["2006-03-21", "2006-03-28"]
    # when: nothing changed
    before = Event.objects.count()
    again = schedule_apply(merger)
    # then
    assert again.steps_changed == 0 and again.events == 0
    assert Event.objects.count() == before


# --- loading in a fixed number of queries ------------------------------------------------------------


@pytest.mark.parametrize("municipalities,domains", [(2, 1), (5, 4)])
def test_graph_load_is_seven_queries_whatever_the_size(municipalities, domains, django_assert_num_queries):
    merger = merger_with_runbook(municipalities=municipalities, domains=domains)
    merger_with_runbook(municipalities=2, domains=2)  # another merger sharing KMD: same component
    # queries: 1 cutover vendors and capacities, 2 mergers, 3 steps, 4 dependencies, 5 freeze windows,
    # 6 calendar rules, 7 capacity periods
    with django_assert_num_queries(7):
        graph = graph_load(merger.pk)
    assert len(graph.merger_ids) == 2
    assert len(graph.problem.steps) == Step.objects.count()


def test_component_is_only_the_mergers_sharing_a_capacity_bound_vendor(django_assert_num_queries):
    a = merger_with_runbook(municipalities=2, domains=1)
    b = merger_with_runbook(municipalities=2, domains=1)
    # the vendor becomes unlimited: the mergers no longer bind each other
    from systems.models import Vendor

    Vendor.objects.update(weekly_cutover_capacity=None)
    assert graph_load(a.pk).merger_ids == (a.pk,)
    assert graph_load(b.pk).merger_ids == (b.pk,)


# --- big bang versus rolling ----------------------------------------------------------------------


def test_without_dispensation_every_cutover_joins_the_national_run(chief):
    merger = merger_with_runbook(municipalities=3, domains=4, chief=chief)  # 4 KMD cutovers, capacity 2
    schedule_apply(merger)
    go_lives = set(steps(merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True))
    assert go_lives == {LEGAL_GO_LIVE}
    # KMD's national conversion run on the legal day does not count against its weekly capacity
    assert Runbook.objects.get(merger=merger).schedule_findings == []


def test_capacity_overflow_in_plain_words(chief):
    merger = merger_with_runbook(municipalities=3, domains=4, chief=chief)  # 4 KMD cutovers, capacity 2
    grant(merger, chief)
    # all four must go live in the week of 3 July 2006
    steps(merger, kind=StepKind.CUTOVER).update(deadline=dt.date(2006, 7, 7))
    schedule_apply(merger)
    overflow = [f for f in Runbook.objects.get(merger=merger).schedule_findings if f["kind"] == "capacity_overflow"]
    assert overflow and overflow[0]["count"] == 4 and overflow[0]["capacity"] == 2
    with translation.override("en"):
        assert finding_message(overflow[0]) == "KMD: 4 cutovers in week 27 (2006), capacity 2"
        shown = schedule_for_merger(merger)
    assert not shown["feasible"] and shown["findings"][0]["message"].startswith("KMD: 4 cutovers")


def test_with_dispensation_granted_cutovers_spread_from_the_dispensation_date(chief):
    merger = merger_with_runbook(municipalities=3, domains=4, chief=chief)
    grant(merger, chief)
    schedule_apply(merger)
    go_lives = sorted(steps(merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True))
    assert go_lives[0] >= dt.date(2006, 7, 3)  # 2006-07-01 is a Saturday
    assert go_lives[-1] < dt.date(2007, 1, 1)
    weeks = [d.isocalendar()[:2] for d in go_lives]
    assert len(set(weeks)) == 4  # spread: one a week, the lowest load first (capacity 2 would allow two)
    assert Runbook.objects.get(merger=merger).schedule_findings == []
    assert Wave.objects.filter(runbook=merger.runbook).count() == 4
    # and back: the dispensation is withdrawn → big bang again, waves collapse to one
    grant(merger, chief, granted=False)
    schedule_apply(merger)
    assert set(steps(merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True)) == {LEGAL_GO_LIVE}
    assert list(Wave.objects.filter(runbook=merger.runbook).values_list("number", flat=True)) == [1]
    moved = Event.objects.filter(verb="step_rescheduled", object_id__in=steps(merger, kind=StepKind.CUTOVER).values("pk"))
    assert moved.count() == 4


def test_scenario_comparison_is_stored_for_the_merger(chief):
    merger = merger_with_runbook(municipalities=3, domains=4, chief=chief)
    schedule_apply(merger)
    scenarios = schedule_for_merger(merger)["scenarios"]
    assert scenarios["big_bang"]["first_go_live"] == scenarios["big_bang"]["last_go_live"] == "2007-01-02"
    assert scenarios["big_bang"]["vendor_peak"] == {"kmd": 4}
    assert scenarios["rolling"]["first_go_live"] == "2006-07-03"
    assert scenarios["rolling"]["vendor_peak"] == {"kmd": 1}


def test_deadline_missed_is_a_finding_in_plain_words(merger, chief):
    survey = steps(merger, key="1").get()
    step_update(step=survey, actor=chief, data={"deadline": dt.date(2006, 3, 17)})
    schedule_apply(merger)
    findings = Runbook.objects.get(merger=merger).schedule_findings
    missed = [f for f in findings if f["kind"] == "deadline_missed"]
    assert missed and missed[0]["step_keys"][-1] == "1" and missed[0]["days"] == 2
    with translation.override("en"):
        assert finding_message(missed[0]) == "Chain 1 misses 17 Mar 2006 by 2 working days"
    assert Step.objects.get(pk=survey.pk).total_slack == -2


def test_shared_vendor_capacity_moves_the_other_merger(chief):
    a = merger_with_runbook(municipalities=2, domains=2, chief=chief)
    b = merger_with_runbook(municipalities=2, domains=2)
    for m in (a, b):
        grant(m, chief) if m is a else None
    MembershipFactory(user=chief, merger=b, role=Role.IT_CHIEF)
    grant(b, chief)
    # when: only a is asked for, the whole component is written
    result = schedule_apply(a)
    assert set(result.merger_ids) == {a.pk, b.pk}
    go_lives = list(Step.objects.filter(kind=StepKind.CUTOVER).values_list("go_live", flat=True))
    weeks = [d.isocalendar()[:2] for d in go_lives]
    assert len(go_lives) == 4 and max(weeks.count(w) for w in weeks) <= 2
    assert Runbook.objects.get(merger=b).scheduled_at is not None


def test_apply_all_covers_every_merger():
    ms = [merger_with_runbook(municipalities=2, domains=1) for _ in range(3)]
    result = schedule_apply_all()
    assert set(result.merger_ids) == {m.pk for m in ms}
    assert not Step.objects.filter(planned_start__isnull=True).exists()


# --- stored data that cannot be planned ---------------------------------------------------------------


def _broken(merger, **dates) -> Step:
    """A step of ``merger`` given dates past validation (as data stored before input was bounded)."""
    step = steps(merger, kind=StepKind.TASK).first()
    Step.objects.filter(pk=step.pk).update(**dates)
    return step


@pytest.mark.parametrize("poison", [{"not_before": dt.date(9999, 12, 31)}, {"deadline": dt.date(1, 1, 1)},
                                    {"actual_start": dt.date(1, 1, 1), "status": "in_progress"}])
def test_nightly_run_plans_the_others_when_one_merger_is_broken(chief, caplog, poison):
    # given three mergers sharing KMD's capacity (one component), one with a date no calendar reaches
    ok1, bad, ok2 = (merger_with_runbook(municipalities=2, domains=2, chief=chief) for _ in range(3))
    poisoned = _broken(bad, **poison)
    # when the nightly run goes
    with caplog.at_level("ERROR", logger="runbook.planning.apply"):
        result = recompute_all()
    # then the others are planned, the broken one has a finding naming the step, and it is logged
    for m in (ok1, ok2):
        assert not steps(m, planned_start__isnull=True).exists()
        kinds = {f["kind"] for f in Runbook.objects.get(merger=m).schedule_findings}
        assert "unplannable" not in kinds
    assert not steps(bad, planned_start__isnull=False).exists()  # its dates stay as they were
    findings = Runbook.objects.get(merger=bad).schedule_findings
    assert [f["kind"] for f in findings] == ["unplannable"]
    assert findings[0]["step_ids"] == [poisoned.pk] and findings[0]["step_keys"] == [poisoned.key]
    assert findings[0]["message"]
    assert set(result.merger_ids) == {ok1.pk, ok2.pk} and not result.feasible
    assert f"merger {bad.pk} cannot be planned" in caplog.text
    # and its pending request is done: no sweep retries it until the data changes
    request = ScheduleRequest.objects.get(merger=bad)
    assert request.completed == request.requested


def test_unplannable_in_plain_words_on_the_schedule(chief):
    bad = merger_with_runbook(municipalities=2, domains=2, chief=chief)
    poisoned = _broken(bad, not_before=dt.date(9999, 12, 31))

    schedule_apply(bad)  # a replan of the broken merger itself: recorded, never raised

    with translation.override("da"):
        schedule = schedule_for_merger(bad)
    (finding,) = schedule["findings"]
    assert finding["kind"] == "unplannable"
    assert poisoned.key in finding["message"] and "Planen kan ikke beregnes" in finding["message"]
    with translation.override("en"):
        assert "cannot be computed" in finding_message(finding)


def test_a_broken_dispensation_date_is_unplannable_the_replan_of_the_others_goes_on(chief):
    ok, bad = (merger_with_runbook(municipalities=2, domains=2, chief=chief) for _ in range(2))
    Merger.objects.filter(pk=bad.pk).update(dispensation_status=DispensationStatus.GRANTED,
                                            dispensation_date=dt.date(1, 1, 1))

    result = schedule_apply(ok)  # the component holds both

    assert result.merger_ids == (ok.pk,)
    assert not steps(ok, planned_start__isnull=True).exists()
    assert [f["kind"] for f in Runbook.objects.get(merger=bad).schedule_findings] == ["unplannable"]


def test_fixing_the_data_plans_the_merger_again(chief, django_capture_on_commit_callbacks):
    bad = merger_with_runbook(municipalities=2, domains=2, chief=chief)
    poisoned = _broken(bad, not_before=dt.date(9999, 12, 31))
    schedule_apply_all()
    assert Runbook.objects.get(merger=bad).schedule_findings[0]["kind"] == "unplannable"

    with django_capture_on_commit_callbacks(execute=True):
        step_update(step=Step.objects.get(pk=poisoned.pk), actor=chief, data={"not_before": None})

    assert not steps(bad, planned_start__isnull=True).exists()
    assert all(f["kind"] != "unplannable" for f in Runbook.objects.get(merger=bad).schedule_findings)


# --- baselines ----------------------------------------------------------------------------------


def test_baseline_capture_and_slip(merger, chief):
    schedule_apply(merger)
    baseline = baseline_capture(runbook=merger.runbook, name="Godkendt plan", actor=chief)
    assert baseline.entries.count() == steps(merger).count()
    assert Event.objects.filter(verb="baseline_captured", object_id=baseline.pk).exists()
    step_update(step=steps(merger, key="1").get(), actor=chief, data={"duration_days": 10})
    schedule_apply(merger)
    slip = {row.key: row for row in baseline_compare(base=baseline).rows}
    assert slip["1"].finish_variance == 5 and slip["1"].start_variance == 0
    assert slip["4"].finish_variance == 5
    assert slip["5-area0"].finish_variance == 0  # the cutover waits for the legal date anyway


def test_baseline_name_is_required_and_unique(merger, chief):
    from core.exceptions import ApplicationError, PermissionDeniedError

    baseline_capture(runbook=merger.runbook, name="A", actor=chief)
    with pytest.raises(ApplicationError) as exc:
        baseline_capture(runbook=merger.runbook, name="A", actor=chief)
    assert exc.value.field == "name"
    with pytest.raises(ApplicationError):
        baseline_capture(runbook=merger.runbook, name="  ", actor=chief)
    with pytest.raises(PermissionDeniedError):
        baseline_capture(runbook=merger.runbook, name="B", actor=UserFactory())


# --- recompute requests ---------------------------------------------------------------------------


def test_one_hook_per_merger_per_transaction(django_capture_on_commit_callbacks):
    merger = MergerFactory()  # (a runbook_instantiate would have registered its hook in this test already)
    other = MergerFactory()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(5):
            recompute_enqueue(merger.pk)
            recompute_enqueue(other.pk)
    assert len(callbacks) == 2


def test_rolled_back_change_enqueues_nothing(django_capture_on_commit_callbacks):
    merger = MergerFactory()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                recompute_enqueue(merger.pk)
                raise RuntimeError
        except RuntimeError:
            pass
        recompute_enqueue(merger.pk)  # registered again, since the first went with the savepoint
    assert len(callbacks) == 1


def test_burst_collapses_into_one_run(merger, chief):
    # given: three committed changes; each stamped a request in its own transaction (the instantiation
    # stamped the first) and its on-commit hook queued a task
    survey = steps(merger, key="1").get()
    stamps = []
    for days in (6, 7, 8):
        step_update(step=survey, actor=chief, data={"duration_days": days})
        survey.refresh_from_db()
        stamps.append(ScheduleRequest.objects.get(merger=merger).requested)
    assert stamps == [2, 3, 4]
    # when: the queued tasks run after their countdown, in order
    results = [recompute_run(merger.pk, requested=stamp) for stamp in stamps]
    # then: the first covers all three requests, the other two exit early
    assert [r.skipped for r in results] == [False, True, True]
    state = ScheduleRequest.objects.get(merger=merger)
    assert state.requested == state.completed == 4
    assert Step.objects.get(pk=survey.pk).planned_finish == dt.date(2006, 3, 24)  # 8 working days
    # a request that arrives after the run is not covered: its task runs
    stamp = _request_bump([merger.pk])[merger.pk]
    assert not recompute_run(merger.pk, requested=stamp).skipped


def test_stale_run_exits_and_forced_run_runs(merger):
    schedule_apply(merger)
    ScheduleRequest.objects.filter(merger=merger).update(requested=3, completed=3)
    assert recompute_run(merger.pk, requested=2).skipped
    assert not recompute_run(merger.pk, requested=None).skipped


# --- the seeded Tønder merger and the synthetic country --------------------------------------------------


def test_toender_rolling_with_the_dispensation_spreads_the_free_and_dispensation_bound_areas():
    from demo.seed import demo_merger, seed_demo

    seed_demo(stdout=None)
    merger = demo_merger()
    merger_dispensation_set(merger=merger, actor=None, status=DispensationStatus.GRANTED,
                            date=dt.date(2006, 7, 1), check_permission=False)
    schedule_apply(merger)
    cutovers = Step.objects.filter(runbook__merger=merger, kind=StepKind.CUTOVER).select_related("domain")
    early = [c for c in cutovers if c.go_live < dt.date(2007, 1, 1)]
    assert {c.domain.binding for c in early} == {"free", "dispensation"}
    kmd_weeks = [c.go_live.isocalendar()[:2] for c in early if c.assignee_vendor.code == "kmd"]
    assert max(kmd_weeks.count(w) for w in kmd_weeks) == 1  # spread: one KMD go-live a week
    shown = schedule_for_merger(merger)
    assert shown["feasible"] and len(shown["waves"]) > 1
    assert shown["scenarios"]["big_bang"]["first_go_live"] == "2007-01-02"


@pytest.fixture
def country():
    from django.core.management import call_command

    call_command("generate_reform", mergers=3, areas=4, seed=7, stdout=io.StringIO())
    return list(Merger.objects.filter(is_synthetic=True).order_by("code"))


def test_generated_runbooks_match_runbook_instantiate(country):
    from runbook.models import Dependency
    from runbook.services import runbook_instantiate

    merger = country[0]
    def shape(m):
        keys = set(Step.objects.filter(runbook__merger=m).values_list("key", "name", "kind", "domain_id",
                                                                     "assignee_vendor_id", "conversion_id"))
        deps = set(Dependency.objects.filter(runbook__merger=m).values_list("predecessor__key", "successor__key"))
        return keys, deps

    generated = shape(merger)
    template = merger.runbook.template
    merger.runbook.delete()
    runbook_instantiate(merger=Merger.objects.get(pk=merger.pk), template=template)
    assert shape(merger) == generated


def test_schedule_the_generated_country(country, django_assert_num_queries):
    assert all(m.is_synthetic and m.name.startswith("Syntetisk Kommune") for m in country)
    with django_assert_num_queries(7):
        graph = graph_load(None)
    assert set(graph.merger_ids) >= {m.pk for m in country}
    result = schedule_apply_all()
    assert result.steps_changed == Step.objects.count()
    assert not Step.objects.filter(runbook__merger__in=country, planned_start__isnull=True).exists()
    for m in country:
        summary = schedule_for_merger(m)
        assert summary["scheduled_at"] is not None and summary["waves"]
        granted = m.dispensation_status == DispensationStatus.GRANTED
        go_lives = set(Step.objects.filter(runbook__merger=m, kind=StepKind.CUTOVER).values_list("go_live", flat=True))
        if not granted:
            assert min(go_lives) >= LEGAL_GO_LIVE
    assert schedule_apply_all().events == 0


def test_vendor_capacity_change_replans_the_mergers_it_serves(chief, django_capture_on_commit_callbacks):
    from core.exceptions import PermissionDeniedError
    from systems.models import Vendor
    from systems.services import vendor_capacity_set

    merger = merger_with_runbook(municipalities=2, domains=4, chief=chief)
    grant(merger, chief)
    steps(merger, kind=StepKind.CUTOVER).update(deadline=dt.date(2006, 7, 7))  # one week to go live in
    schedule_apply(merger)
    findings = Runbook.objects.get(merger=merger).schedule_findings
    assert [(f["kind"], f["count"], f["capacity"]) for f in findings] == [("capacity_overflow", 4, 2)]
    kmd = Vendor.objects.get(code="kmd")
    with pytest.raises(PermissionDeniedError):
        vendor_capacity_set(vendor=kmd, capacity=4, actor=chief)
    # when: staff raises KMD's capacity; the recompute runs (eagerly) after commit
    staff = UserFactory(username="staff", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        vendor_capacity_set(vendor=kmd, capacity=4, actor=staff)
    # then: all four cutovers fit in their one week, and the change is on record
    weeks = {d.isocalendar()[:2] for d in steps(merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True)}
    assert len(weeks) == 1 and Runbook.objects.get(merger=merger).schedule_findings == []
    event = Event.objects.get(verb="vendor_capacity_changed")
    assert event.changes == {"weekly_cutover_capacity": [2, 4]} and event.actor == staff


def test_freeze_windows_move_go_lives_but_not_the_national_run(chief):
    from runbook.models import FreezeWindow
    from systems.models import Domain

    merger = merger_with_runbook(municipalities=2, domains=2, chief=chief)
    other = merger_with_runbook(municipalities=2, domains=2)
    # a merger-specific freeze over the legal date: the national run goes live on the legal day anyway
    # (the binding wins), and this merger's plan check says so
    FreezeWindow.objects.create(name="Lokal frysning", start=dt.date(2007, 1, 1), end=dt.date(2007, 1, 3),
                                merger=merger)
    schedule_apply_all()
    assert set(steps(merger, kind=StepKind.CUTOVER).values_list("go_live", flat=True)) == {LEGAL_GO_LIVE}
    checks = Runbook.objects.get(merger=merger).plan_check
    assert {(c["kind"], c["label"]) for c in checks} == {("go_live_closed", "Lokal frysning")}
    assert Runbook.objects.get(merger=other).plan_check == []
    # a free area (any working day) is moved out of a national freeze of its domain, before the legal day
    Domain.objects.filter(code="area0").update(binding="free")
    FreezeWindow.objects.create(name="Årsafslutning", start=dt.date(2006, 3, 1), end=dt.date(2006, 6, 30),
                                domain=Domain.objects.get(code="area0"))
    schedule_apply_all()
    cut = steps(merger, kind=StepKind.CUTOVER, key="5-area0").get()
    assert cut.go_live == dt.date(2006, 7, 3) and cut.placement == ["freeze:Årsafslutning"]
    assert steps(merger, kind=StepKind.CUTOVER, key="5-area1").get().go_live == LEGAL_GO_LIVE


def test_a_stale_run_never_overwrites_a_fresher_one(merger, chief):
    schedule_apply(merger)
    survey = steps(merger, key="1").get()
    # given: run A notes the counters and loads the graph; then a change commits and run B covers it
    _request_bump([merger.pk])
    noted_a, graph_a = _requested_counters(), graph_load(merger.pk)
    step_update(step=survey, actor=chief, data={"duration_days": 10})  # stamps request 3 with the change
    assert not recompute_run(merger.pk, requested=3).skipped
    assert steps(merger, key="1").get().planned_finish == dt.date(2006, 3, 28)
    # when: the slower run A gets to write
    result = _apply(graph_a, compare_for=[merger.pk], noted=noted_a)
    # then: it writes nothing; B's dates stay
    assert result.skipped
    assert steps(merger, key="1").get().planned_finish == dt.date(2006, 3, 28)
    assert ScheduleRequest.objects.get(merger=merger).completed == 3
