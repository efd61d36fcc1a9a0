"""Worked examples of where go-lives land and how they group: vendor capacity, placement and waves."""

from __future__ import annotations

import dataclasses

from engine import (
    CapacityPeriod,
    Finding,
    Scenario,
    WaveResult,
    schedule,
)

from .examples import (
    BIG_BANG_DAY,
    D,
    cutover,
    dates,
    fs,
    merger,
    problem,
    task,
    three_mergers,
)

# --- vendor capacity ------------------------------------------------------------------------------


def test_big_bang_is_the_national_run_and_does_not_count_against_capacity():
    s = schedule(three_mergers(), Scenario.BIG_BANG)
    assert {r.go_live for r in s.steps.values()} == {BIG_BANG_DAY}
    assert s.vendor_load == s.national_run == {"KMD": {"2007-W01": 6}}
    assert s.findings == ()
    assert {r.placement for r in s.steps.values()} == {("national_run", "legal_date")}


def test_capacity_overflow_outside_the_national_run():
    # six cutovers that must go live in one week (their window is 3–7 July 2006), capacity 4
    p = three_mergers(dispensation=D(2006, 7, 1))
    p = dataclasses.replace(p, steps=tuple(dataclasses.replace(x, deadline=D(2006, 7, 7)) for x in p.steps))
    s = schedule(p, Scenario.ROLLING)
    assert {r.go_live.isocalendar()[1] for r in s.steps.values()} == {27}
    assert s.findings == (
        Finding(
            kind="capacity_overflow",
            merger_id=None,
            step_ids=(11, 12, 21, 22, 31, 32),
            vendor="KMD",
            week="2006-W27",
            count=6,
            capacity=4,
        ),
    )


def test_rolling_spreads_across_mergers():
    s = schedule(three_mergers(dispensation=D(2006, 7, 1)), Scenario.ROLLING)
    # all six are ready from Mon 3 July; capacity 4 would pack them into two weeks, spreading gives each
    # its own week (the lowest load first, then the earliest), in id order as their slack ties
    assert [s.steps[i].go_live for i in (11, 12, 21, 22, 31, 32)] == [
        D(2006, 7, 3), D(2006, 7, 10), D(2006, 7, 17), D(2006, 7, 24), D(2006, 8, 1), D(2006, 8, 7),
    ]  # 31 July is a payroll run day (the cutovers are payroll's)
    assert s.vendor_load == {"KMD": {f"2006-W{w}": 1 for w in range(27, 33)}}
    assert s.steps[11].placement == ("dispensation",)
    assert s.steps[12].placement == ("dispensation", "capacity")
    assert s.feasible


def test_capacity_periods_lower_the_weekly_capacity():
    # capacity 1 a week, 0 in the weeks starting 10 and 17 July: the second cutover skips them
    p = dataclasses.replace(
        three_mergers(dispensation=D(2006, 7, 1)),
        capacities={"KMD": 1},
        capacity_periods=(CapacityPeriod("KMD", D(2006, 7, 10), D(2006, 7, 23), 0),),
    )
    s = schedule(p, Scenario.ROLLING)
    assert [s.steps[i].go_live for i in (11, 12)] == [D(2006, 7, 3), D(2006, 7, 24)]
    assert s.feasible


def test_target_go_live_is_kept_when_the_week_has_room():
    p = three_mergers(dispensation=D(2006, 7, 1))
    p = dataclasses.replace(
        p, steps=tuple(dataclasses.replace(x, target=D(2006, 9, 13)) if x.id == 11 else x for x in p.steps)
    )
    s = schedule(p, Scenario.ROLLING)
    assert s.steps[11].go_live == D(2006, 9, 13)
    assert "target" in s.steps[11].placement


def test_levelling_least_slack_first_and_pushes_successors():
    steps = [
        cutover(1),
        cutover(2),
        cutover(3),
        cutover(4, deadline=D(2006, 7, 7)),  # least slack: placed first
        task(5, 2),
        cutover(6, vendor="Infra", domain="infra", post_merger=True),  # no capacity limit, no deadline
    ]
    deps = [fs(3, 5), fs(5, 6)]
    p = problem(
        steps, deps, status=D(2006, 6, 1), mergers=[merger(dispensation=D(2006, 7, 1))], capacities={"KMD": 2}
    )
    s = schedule(p, Scenario.ROLLING)
    r = s.steps
    # 4 (least slack) first in the week of 3 July, then each into the lowest-load week: 1, 2, 3
    assert [r[i].go_live for i in (4, 1, 2, 3)] == [D(2006, 7, 3), D(2006, 7, 10), D(2006, 7, 17), D(2006, 7, 24)]
    # cutover 3 moved three weeks, and its successors with it
    assert dates(r[5]) == (D(2006, 7, 25), D(2006, 7, 26))
    assert r[6].go_live == D(2006, 7, 27)
    assert s.vendor_load["KMD"] == {"2006-W27": 1, "2006-W28": 1, "2006-W29": 1, "2006-W30": 1}
    assert s.feasible
    # unlevelled, everything goes live on 3 July
    assert schedule(dataclasses.replace(p, capacities={}), Scenario.ROLLING).steps[3].go_live == D(2006, 7, 3)


def test_levelling_skips_frozen_days_and_overflows_when_the_window_is_full():
    # 1 takes the week of 18 Dec; the Christmas week has room but is closed for KMD; the window ends
    # on 2 Jan, so 2 takes that week and 3 stays at its earliest, over capacity
    steps = [cutover(1, not_before=D(2006, 12, 20)), cutover(2), cutover(3)]
    deps = [fs(1, 2), fs(1, 3)]
    p = problem(
        steps,
        deps,
        status=D(2006, 12, 1),
        mergers=[merger(dispensation=D(2006, 7, 1))],
        capacities={"KMD": 1},
    )
    s = schedule(p, Scenario.ROLLING)
    assert [s.steps[i].go_live for i in (1, 2, 3)] == [D(2006, 12, 20), BIG_BANG_DAY, D(2006, 12, 21)]
    assert s.findings == (
        Finding(
            kind="capacity_overflow",
            merger_id=1,
            step_ids=(1, 3),
            vendor="KMD",
            week="2006-W51",
            count=2,
            capacity=1,
        ),
    )


def test_done_cutovers_count_against_capacity():
    steps = [
        cutover(1, status="done", actual_start=D(2006, 7, 3), actual_finish=D(2006, 7, 3)),
        cutover(2),
        cutover(3),
    ]
    p = problem(
        steps,
        status=D(2006, 7, 4),
        mergers=[merger(dispensation=D(2006, 7, 1), granted=True)],
        capacities={"KMD": 2},
    )
    s = schedule(p)
    # the done go-live fills the week of 3 July; the others spread to the next weeks with less load
    assert [s.steps[i].go_live for i in (1, 2, 3)] == [D(2006, 7, 3), D(2006, 7, 10), D(2006, 7, 17)]
    assert s.vendor_load == {"KMD": {"2006-W27": 1, "2006-W28": 1, "2006-W29": 1}}


# --- waves ----------------------------------------------------------------------------------------


def test_waves():
    steps = [
        cutover(1, vendor="Infra", domain="infra"),
        task(2, 3),
        cutover(3),
        cutover(4, duration=2, domain="finance"),
        cutover(5, vendor="Fujitsu", domain="esdh"),
        cutover(6, domain="sickness"),
        cutover(7, status="skipped"),
    ]
    deps = [fs(1, 2), fs(2, 3), fs(2, 4), fs(3, 6, lag=10), fs(6, 7)]
    s = schedule(
        problem(steps, deps, status=D(2006, 6, 1), mergers=[merger(dispensation=D(2006, 7, 1))]), "rolling"
    )
    r = s.steps
    assert [r[i].go_live for i in (1, 3, 4, 5, 6)] == [
        D(2006, 7, 3),
        D(2006, 7, 7),
        D(2006, 7, 10),
        D(2006, 7, 3),
        D(2006, 7, 24),
    ]
    assert r[7].go_live is None and r[7].wave is None
    assert s.waves == (
        WaveResult(
            merger_id=1, number=1, week="2006-W27", milestone_date=D(2006, 7, 3), step_ids=(1, 5), layer=1
        ),
        WaveResult(
            merger_id=1, number=2, week="2006-W27", milestone_date=D(2006, 7, 7), step_ids=(3,), layer=2
        ),
        WaveResult(
            merger_id=1, number=3, week="2006-W28", milestone_date=D(2006, 7, 10), step_ids=(4,), layer=2
        ),
        WaveResult(
            merger_id=1, number=4, week="2006-W30", milestone_date=D(2006, 7, 24), step_ids=(6,), layer=3
        ),
    )
    assert [r[i].wave for i in (1, 3, 4, 5, 6)] == [1, 2, 3, 1, 4]
    assert s.vendor_load == {
        "Fujitsu": {"2006-W27": 1},
        "Infra": {"2006-W27": 1},
        "KMD": {"2006-W27": 1, "2006-W28": 1, "2006-W30": 1},
    }


def test_big_bang_is_one_wave_per_layer():
    steps = [cutover(1), cutover(2), task(3, 1), cutover(4)]
    deps = [fs(1, 3), fs(3, 4)]
    s = schedule(problem(steps, deps, status=D(2006, 6, 1)), Scenario.BIG_BANG)
    assert [(w.number, w.step_ids, w.layer, w.week) for w in s.waves] == [
        (1, (1, 2), 1, "2007-W01"),
        (2, (4,), 2, "2007-W01"),
    ]
