"""Worked examples for the scheduling engine, every date checked by hand against the 2006 calendar."""

from __future__ import annotations

import dataclasses
import pickle
import random

import pytest

from engine import (
    CyclicDependencyError,
    DependencyIn,
    Finding,
    Scenario,
    compare_scenarios,
    schedule,
    topological_layers,
)

from .examples import (
    BIG_BANG_DAY,
    D,
    cutover,
    dates,
    fs,
    merger,
    problem,
    ss,
    task,
    three_mergers,
)

# --- the basic passes -------------------------------------------------------------------------------


def test_chain_over_easter_2006():
    # given A (3d) → B (2d) → FS+1 → milestone C → D (1d), and E (2d) beside B; after the merger (so no
    # legal-date deadline: the project end binds)
    steps = [task(i, d, post_merger=True) for i, d in ((1, 3), (2, 2), (4, 1), (5, 2))]
    steps.append(task(3, 0, kind="milestone", post_merger=True))
    deps = [fs(1, 2), fs(2, 3, lag=1), fs(3, 4), fs(1, 5)]
    # when
    s = schedule(problem(steps, deps, status=D(2006, 4, 10)))
    # then: A Mon 10 – Wed 12 Apr; Easter (13, 14, 17 Apr) passes; B Tue 18 – Wed 19 Apr
    r = s.steps
    assert dates(r[1]) == (D(2006, 4, 10), D(2006, 4, 12))
    assert dates(r[2]) == (D(2006, 4, 18), D(2006, 4, 19))
    # one working day of lag (Thu 20), so the milestone happens Fri 21 and releases D the same day
    assert dates(r[3]) == (D(2006, 4, 21), D(2006, 4, 21))
    assert dates(r[4]) == (D(2006, 4, 21), D(2006, 4, 21))
    assert dates(r[5]) == (D(2006, 4, 18), D(2006, 4, 19))
    # E may slip to the project end (Fri 21): two working days of slack
    assert (r[5].late_start, r[5].late_finish, r[5].total_slack) == (D(2006, 4, 20), D(2006, 4, 21), 2)
    assert not r[5].critical
    assert [r[i].total_slack for i in (1, 2, 3, 4)] == [0, 0, 0, 0]
    assert all(r[i].critical for i in (1, 2, 3, 4))
    assert s.critical_path == {1: (1, 2, 3, 4)}
    assert s.feasible and s.findings == () and s.waves == () and s.vendor_load == {}
    assert r[1].go_live is None and r[1].wave is None


def test_start_to_start_and_lags():
    # given A (5d) from Mon 3 Apr 2006; B (3d) SS+2; C (1d) FS+3; D (2d) FS−2 (a lead)
    steps = [task(i, d, post_merger=True) for i, d in ((1, 5), (2, 3), (3, 1), (4, 2))]
    deps = [ss(1, 2, lag=2), fs(1, 3, lag=3), fs(1, 4, lag=-2)]
    s = schedule(problem(steps, deps, status=D(2006, 4, 3)))
    r = s.steps
    assert dates(r[1]) == (D(2006, 4, 3), D(2006, 4, 7))
    assert dates(r[2]) == (D(2006, 4, 5), D(2006, 4, 7))  # two working days after A's start
    # A finishes Fri 7; lag 3 = Mon 10, Tue 11, Wed 12; C starts on the next working day after Easter
    assert dates(r[3]) == (D(2006, 4, 18), D(2006, 4, 18))
    assert dates(r[4]) == (D(2006, 4, 6), D(2006, 4, 7))  # FS−2: two days before A's finish + 1
    assert [r[i].total_slack for i in (1, 2, 3, 4)] == [0, 4, 0, 4]
    assert s.critical_path[1] == (1, 3)


def test_start_to_start_from_a_milestone_and_fs_from_a_milestone():
    steps = [task(1, 0, kind="milestone", not_before=D(2006, 4, 12)), task(2, 2), task(3, 1)]
    deps = [ss(1, 2, lag=1), fs(1, 3)]
    r = schedule(problem(steps, deps, status=D(2006, 4, 3))).steps
    assert dates(r[1]) == (D(2006, 4, 12), D(2006, 4, 12))
    assert dates(r[2]) == (D(2006, 4, 18), D(2006, 4, 19))
    assert dates(r[3]) == (D(2006, 4, 12), D(2006, 4, 12))  # a milestone releases FS successors that day


def test_done_in_progress_and_skipped_steps():
    steps = [
        task(1, 8, status="done", actual_start=D(2006, 3, 1), actual_finish=D(2006, 3, 10)),
        task(2, 10, status="in_progress", actual_start=D(2006, 3, 27)),
        task(
            3, 5, status="in_progress", actual_start=D(2006, 3, 1)
        ),  # overdue: finishes today at the earliest
        task(4, 2),
        task(5, 1),
        task(6, 4, status="skipped"),
        task(7, 1),
        task(8, 3, status="blocked", not_before=D(2006, 4, 5)),
        task(9, 2, status="done", actual_finish=D(2006, 3, 31)),
    ]
    deps = [fs(1, 4), fs(2, 5), fs(2, 6), fs(6, 7), fs(9, 2), fs(9, 8)]
    r = schedule(problem(steps, deps, status=D(2006, 4, 3))).steps
    assert dates(r[1]) == (D(2006, 3, 1), D(2006, 3, 10))  # actual dates kept
    assert dates(r[2]) == (D(2006, 3, 27), D(2006, 4, 7))  # 27–31 Mar, 3–7 Apr
    assert dates(r[3]) == (D(2006, 3, 1), D(2006, 4, 3))
    assert dates(r[4]) == (D(2006, 4, 3), D(2006, 4, 4))  # not before the status date
    assert dates(r[5]) == (D(2006, 4, 10), D(2006, 4, 10))
    assert dates(r[6]) == (D(2006, 4, 10), D(2006, 4, 10))  # skipped: a milestone at its earliest
    assert dates(r[7]) == (D(2006, 4, 10), D(2006, 4, 10))  # released the same day
    assert dates(r[8]) == (D(2006, 4, 5), D(2006, 4, 7))  # not_before
    assert dates(r[9]) == (D(2006, 3, 30), D(2006, 3, 31))  # start derived from finish and duration


def test_status_date_on_a_holiday_starts_on_the_next_working_day():
    r = schedule(problem([task(1, 1)], status=D(2006, 4, 13))).steps
    assert dates(r[1]) == (D(2006, 4, 18), D(2006, 4, 18))


# --- gates, deadlines, freezes ----------------------------------------------------------------------


def test_dispensation_granted_from_1_july_2006():
    # given a cutover ready in May (store bededag 12 May falls inside the 10 days)
    steps = [task(1, 10), cutover(2)]
    deps = [fs(1, 2)]
    granted = problem(
        steps, deps, status=D(2006, 5, 1), mergers=[merger(dispensation=D(2006, 7, 1), granted=True)]
    )
    requested = problem(steps, deps, status=D(2006, 5, 1), mergers=[merger(dispensation=D(2006, 7, 1))])
    # then: with the dispensation, the earliest go-live is Monday 3 July 2006 (1 July is a Saturday)
    r = schedule(granted).steps
    assert dates(r[1]) == (D(2006, 5, 1), D(2006, 5, 15))
    assert r[2].go_live == dates(r[2])[1] == D(2006, 7, 3)
    assert r[2].placement == ("dispensation",)
    # slack measures the work (ready 16 May) against the legal day: the chain is the merger's longest path
    assert r[2].total_slack == r[1].total_slack > 100 and r[2].critical and r[1].critical
    # without it granted, the actual plan waits for the legal date; the rolling scenario assumes it
    assert schedule(requested).steps[2].go_live == BIG_BANG_DAY
    assert schedule(requested, Scenario.ROLLING).steps[2].go_live == D(2006, 7, 3)
    assert schedule(granted, Scenario.BIG_BANG).steps[2].go_live == BIG_BANG_DAY


def test_kmd_christmas_closure_2006():
    # given a 15-day task from Fri 1 Dec ending Thu 21 Dec, then a KMD and a Silkeborg Data cutover
    steps = [
        task(1, 15),
        cutover(2, vendor="KMD", domain="sickness"),
        cutover(3, vendor="Silkeborg Data", domain="esdh"),
    ]
    deps = [fs(1, 2), fs(1, 3)]
    p = problem(
        steps, deps, status=D(2006, 12, 1), mergers=[merger(dispensation=D(2006, 7, 1), granted=True)]
    )
    r = schedule(p).steps
    assert r[1].early_finish == D(2006, 12, 21)
    # KMD is closed 22 Dec – 1 Jan: its cutover goes live on the first day after, Tue 2 Jan 2007
    assert dates(r[2]) == (BIG_BANG_DAY, BIG_BANG_DAY)
    assert r[3].go_live == D(2006, 12, 22)
    # the latest go-live of the KMD cutover steps back out of the closure too: its deadline is 2 Jan;
    # its work is ready on 22 Dec, four working days (27, 28, 29 Dec, 2 Jan) before the deadline
    assert r[2].late_finish == BIG_BANG_DAY and r[2].total_slack == 4
    assert r[2].placement == ("freeze:KMD lukket",)
    assert schedule(p).feasible


def test_kmd_closure_big_bang_goes_live_on_2_january_2007():
    steps = [task(1, 5), cutover(2, duration=2), cutover(3, vendor="Fujitsu", domain="finance")]
    deps = [fs(1, 2), fs(1, 3)]
    s = schedule(problem(steps, deps, status=D(2006, 12, 1)), Scenario.BIG_BANG)
    assert s.steps[1].early_finish == D(2006, 12, 7)
    # two days ending on the big bang: 29 Dec (inside the closure: work goes on) and 2 Jan
    assert dates(s.steps[2]) == (D(2006, 12, 29), BIG_BANG_DAY)
    assert s.steps[3].go_live == BIG_BANG_DAY
    assert s.feasible


def test_payroll_cutover_avoids_the_month_end_payroll_run():
    # the payroll run days of June 2006 are 28–30 June; the cutover is ready on Wed 28 June
    steps = [cutover(1, vendor="Silkeborg Data", not_before=D(2006, 6, 28))]
    p = problem(steps, status=D(2006, 6, 1), mergers=[merger(dispensation=D(2006, 6, 1), granted=True)])
    assert schedule(p).steps[1].go_live == D(2006, 7, 3)
    finance = dataclasses.replace(steps[0], domain="finance")
    assert schedule(dataclasses.replace(p, steps=(finance,))).steps[1].go_live == D(2006, 6, 28)


def test_chain_that_misses_the_deadline():
    # given A (20d, 1–28 Nov) → B (25d) → cutover C, with a shorter F beside A and hypercare H after C
    steps = [task(1, 20), task(2, 25), cutover(3, vendor="Silkeborg Data"), task(4, 5), task(5, 5)]
    deps = [fs(1, 2), fs(2, 3), fs(3, 4), fs(5, 2)]
    s = schedule(problem(steps, deps, status=D(2006, 11, 1)))
    r = s.steps
    assert r[1].early_finish == D(2006, 11, 28)
    # B: 29, 30 Nov, 1–22 Dec (18), 27–29 Dec (21), 2–5 Jan (25)
    assert dates(r[2]) == (D(2006, 11, 29), D(2007, 1, 5))
    assert r[3].go_live == D(2007, 1, 8)
    # then: four working days late (3, 4, 5, 8 Jan), driven by A → B → C
    assert s.findings == (
        Finding(kind="deadline_missed", merger_id=1, step_ids=(1, 2, 3), date=BIG_BANG_DAY, days=4),
    )
    assert not s.feasible
    assert [r[i].total_slack for i in (1, 2, 3)] == [-4, -4, -4]
    assert all(r[i].critical for i in (1, 2, 3))
    assert r[4].total_slack == 0 and not r[4].critical  # after the deadline: measured to the project end
    assert not r[5].critical
    assert s.critical_path == {1: (1, 2, 3)}


def test_deadline_on_an_ordinary_step_and_post_merger_cutover():
    steps = [
        task(1, 10, deadline=D(2006, 4, 20)),  # 3–7, 10–12, 18–19 Apr: on Wed 19, one day to spare
        task(2, 5),
        cutover(3, post_merger=True, deadline=D(2007, 2, 1)),
        cutover(4, post_merger=True),  # no deadline at all
    ]
    deps = [fs(1, 2), fs(2, 3, lag=40), fs(2, 4)]
    s = schedule(problem(steps, deps, status=D(2006, 4, 3)), Scenario.BIG_BANG)
    assert s.steps[1].early_finish == D(2006, 4, 19) and s.steps[1].total_slack >= 0
    assert s.steps[3].go_live == BIG_BANG_DAY
    assert s.steps[4].go_live == BIG_BANG_DAY
    assert s.feasible


def test_post_merger_cutover_may_go_live_after_the_legal_date():
    steps = [task(1, 60), cutover(2, post_merger=True, deadline=D(2007, 3, 1)), cutover(3)]
    deps = [fs(1, 2), fs(1, 3)]
    s = schedule(problem(steps, deps, status=D(2006, 11, 1)), Scenario.BIG_BANG)
    late = s.steps[2].go_live
    assert late > BIG_BANG_DAY and late == s.steps[3].go_live
    assert [f.step_ids[-1] for f in s.findings] == [3]  # only the ordinary cutover misses its deadline


def test_gate_after_deadline():
    steps = [cutover(1, post_merger=True, deadline=D(2006, 12, 1))]
    s = schedule(problem(steps, status=D(2006, 6, 1)), Scenario.BIG_BANG)
    # the gate (legal date, read as 2 Jan) is 19 working days after the deadline (Fri 1 Dec):
    # 4–8, 11–15, 18–22, 27–29 Dec and 2 Jan
    assert s.findings == (
        Finding(kind="gate_after_deadline", merger_id=1, step_ids=(1,), date=BIG_BANG_DAY, days=19),
    )
    assert s.steps[1].go_live == BIG_BANG_DAY


# --- several mergers, scenarios, errors, determinism -----------------------------------------------


def test_compare_scenarios():
    summaries = compare_scenarios(three_mergers(dispensation=D(2006, 7, 1)))
    assert list(summaries) == [Scenario.BIG_BANG, Scenario.ROLLING]
    bb, rolling = summaries[Scenario.BIG_BANG], summaries[Scenario.ROLLING]
    assert bb.vendor_peak == {"KMD": 6} and rolling.vendor_peak == {"KMD": 1}
    assert bb.findings == () and rolling.findings == ()  # big bang is the national run
    assert bb.first_go_live == bb.last_go_live == BIG_BANG_DAY
    assert (rolling.first_go_live, rolling.last_go_live) == (D(2006, 7, 3), D(2006, 8, 7))
    assert bb.critical_count == 6


def test_critical_path_per_merger():
    steps = [
        task(1, 3),
        task(2, 5),
        task(3, 2, merger_id=2),
        task(4, 1, merger_id=2),
        task(5, 1, merger_id=2),
    ]
    deps = [fs(1, 2), fs(3, 4), fs(3, 5)]
    s = schedule(problem(steps, deps, status=D(2006, 9, 4), mergers=[merger(1), merger(2), merger(3)]))
    # ties between equally long paths go to the smallest id
    assert s.critical_path == {1: (1, 2), 2: (3, 4), 3: ()}


def test_cycle_raises_and_names_the_cycle():
    steps = [task(i, 1) for i in (4, 9, 12, 20)]
    deps = [fs(4, 9), fs(9, 12), fs(12, 4), fs(20, 4)]
    with pytest.raises(CyclicDependencyError, match="cycle: 4 → 9 → 12 → 4") as err:
        schedule(problem(steps, deps, status=D(2006, 4, 3)))
    assert err.value.cycle == (4, 9, 12)
    assert isinstance(err.value, ValueError)
    with pytest.raises(CyclicDependencyError, match="cycle: 20 → 20"):
        schedule(problem(steps, [fs(20, 20)], status=D(2006, 4, 3)))


def test_topological_layers():
    assert topological_layers([5, 3, 1, 8], [(1, 3), (1, 5), (3, 8), (5, 8)]) == [[1], [3, 5], [8]]
    assert topological_layers([2, 1], []) == [[1, 2]]
    with pytest.raises(CyclicDependencyError, match="cycle: 2 → 3 → 2") as err:
        topological_layers([1, 2, 3], [(1, 2), (2, 3), (3, 2)])
    assert err.value.cycle == (2, 3)
    with pytest.raises(ValueError):
        topological_layers([1], [(1, 2)])


@pytest.mark.parametrize(
    ("steps", "deps"),
    [
        ([task(1, 1)], [fs(1, 2)]),  # unknown step
        ([task(1, 1), task(1, 2)], []),  # duplicate id
        ([task(1, -1)], []),
        ([task(1, 1, status="finished")], []),
        ([task(1, 1, kind="phase")], []),
        ([task(1, 1), task(2, 1)], [DependencyIn(1, 2, 0, "SF")]),
        ([task(1, 1, direction="late")], []),
        ([cutover(1, binding="whenever")], []),
        ([task(1, 1, plan_tag="party")], []),
        ([task(1, 1, merger_id=7)], []),
    ],
)
def test_malformed_input_raises_value_error(steps, deps):
    with pytest.raises(ValueError):
        schedule(problem(steps, deps, status=D(2006, 4, 3)))


def test_empty_problem():
    s = schedule(problem([], status=D(2006, 4, 3)))
    assert s.steps == {} and s.feasible and s.critical_path == {1: ()}


def test_same_input_same_output_whatever_the_order():
    p = three_mergers(dispensation=D(2006, 7, 1))
    steps = list(p.steps) + [task(100 + i, i % 4, merger_id=1 + i % 3) for i in range(20)]
    deps = [fs(100 + i, 100 + j) for i in range(20) for j in range(i + 1, 20) if (i * j) % 7 == 1]
    deps += [fs(100 + i, 11 + 10 * (i % 3)) for i in range(0, 20, 5)]
    p = dataclasses.replace(p, steps=tuple(steps), dependencies=tuple(deps))
    expected = schedule(p, Scenario.ROLLING)
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(steps)
        rng.shuffle(deps)
        again = schedule(
            dataclasses.replace(p, steps=tuple(steps), dependencies=tuple(deps)), Scenario.ROLLING
        )
        assert again == expected
        assert list(again.steps) == sorted(again.steps)


def test_schedule_pickles():
    s = schedule(three_mergers(), Scenario.BIG_BANG)
    assert pickle.loads(pickle.dumps(s)) == s
    assert schedule(three_mergers(), "big_bang") == s
