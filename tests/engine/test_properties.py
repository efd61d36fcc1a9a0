"""Properties of the engine on random graphs, calendars and problems (hypothesis; see ``strategies``)."""

from __future__ import annotations

import dataclasses
import graphlib
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import (
    CyclicDependencyError,
    DependencyIn,
    MergerIn,
    Problem,
    Scenario,
    StepIn,
    compare_scenarios,
    schedule,
    topological_layers,
)
from engine.results import summarise

from .strategies import LEGAL, Graph, calendars, cyclic_graphs, cyclic_problems, dags, days, problems

D = date
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- graphs: waves are topological layers ----------------------------------------------------------


def _preds(g: Graph) -> dict[int, set[int]]:
    preds: dict[int, set[int]] = {v: set() for v in g.nodes}
    for p, s in g.edges:
        preds[s].add(p)
    return preds


@FAST
@given(dags())
def test_layers_hold_every_node_once_and_every_edge_runs_forward(g):
    layers = topological_layers(g.nodes, g.edges)
    flat = [v for layer in layers for v in layer]
    assert sorted(flat) == sorted(g.nodes) and len(flat) == len(set(flat))
    assert all(layer and layer == sorted(layer) for layer in layers)
    depth = {v: k for k, layer in enumerate(layers) for v in layer}
    assert all(depth[p] < depth[s] for p, s in g.edges)
    # the input's order does not matter
    assert topological_layers(g.nodes[::-1], g.edges[::-1]) == layers


@FAST
@given(dags())
def test_layers_are_minimal(g):
    preds = _preds(g)
    layers = topological_layers(g.nodes, g.edges)
    for k, layer in enumerate(layers):
        for v in layer:
            if k == 0:
                assert not preds[v]
            else:  # as early as it can be: a predecessor sits in the layer just before
                assert preds[v] & set(layers[k - 1])


@FAST
@given(cyclic_graphs())
def test_a_back_edge_raises_naming_a_real_cycle(graph_and_back):
    g, _back = graph_and_back
    with pytest.raises(CyclicDependencyError) as err:
        topological_layers(g.nodes, g.edges)
    cycle = err.value.cycle
    edges = set(g.edges)
    assert cycle and len(set(cycle)) == len(cycle) and cycle[0] == min(cycle)
    assert all((a, b) in edges for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))


@FAST
@given(cyclic_problems())
def test_a_dependency_cycle_raises_naming_a_real_cycle(problem_and_back):
    p, _back = problem_and_back
    with pytest.raises(CyclicDependencyError) as err:
        schedule(p)
    cycle = err.value.cycle
    deps = {(d.predecessor_id, d.successor_id) for d in p.dependencies}
    assert cycle and len(set(cycle)) == len(cycle)
    assert all((a, b) in deps for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))


# --- the working calendar --------------------------------------------------------------------------


@FAST
@given(calendars(), days, st.integers(1, 400))
def test_adding_then_subtracting_working_days_returns_to_a_working_day_at_or_before_the_start(cal, d, n):
    back = cal.add_working_days(cal.add_working_days(d, n), -n)
    assert cal.is_working_day(back) and back <= d
    assert back == cal.previous_working_day(d)  # d itself when it is a working day
    forth = cal.add_working_days(cal.add_working_days(d, -n), n)
    assert cal.is_working_day(forth) and forth >= d
    assert forth == cal.next_working_day(d)


@FAST
@given(calendars(), days, st.integers(-300, 300))
def test_a_working_day_is_never_a_weekend_or_a_holiday(cal, d, n):
    before, after = cal.previous_working_day(d), cal.next_working_day(d)
    for x in (before, after, cal.add_working_days(d, n)):
        assert x.weekday() < 5 and x not in cal.holidays and cal.is_working_day(x)
    assert before <= d <= after
    # and no working day is skipped on the way
    gap = [before + timedelta(k) for k in range(1, (after - before).days)]
    assert not any(cal.is_working_day(x) for x in gap if x != d)
    assert cal.is_working_day(d) == (before == d == after)


@FAST
@given(calendars(), days, st.integers(-300, 300))
def test_adding_working_days_is_monotone_and_counts_working_days(cal, d, n):
    a, b = cal.add_working_days(d, n), cal.add_working_days(d, n + 1)
    # from a closed day, + 0 and + 1 both land on the next working day; every other step moves on
    assert a < b or (n == 0 and a == b and not cal.is_working_day(d))
    if cal.is_working_day(d):
        assert cal.working_days_between(d, a) == n
        assert cal.working_days_between(a, d) == -n


# --- the schedule ----------------------------------------------------------------------------------


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
        if _scheduled(x):  # a cutover moved to a later go-live moves whole: its duration holds too
            assert idx(r.early_start) >= status
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
    order = graphlib.TopologicalSorter({sid: [d.predecessor_id for d in ds] for sid, ds in preds.items()})
    for sid in order.static_order():
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
@given(problems())
def test_comparing_scenarios_is_scheduling_each_alone(p):
    # the problem is prepared once for both scenarios: nothing of one run may leak into the other
    assert compare_scenarios(p) == {sc: summarise(schedule(p, sc)) for sc in (Scenario.BIG_BANG, Scenario.ROLLING)}


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
