"""From the passes' indices to a ``Schedule``: slack and the critical path, why each go-live sits where it
does, waves, vendor load and findings; and the summary of a schedule for the scenario comparison.

Slack and the critical path
    total_slack = LF − WF in working days, WF being the work's earliest finish (``engine.passes``; negative
    when a deadline cannot be met by the work). So the chain of least slack runs from today through the
    preparation to the go-lives, whether a gate holds the go-live back or not. A step still to do is
    critical when its slack equals the least slack of its merger's steps still to do (the longest path).
    The merger's critical path starts from its critical step with the latest work finish (ties: smallest
    id), goes on to the end through critical successors it releases that same day, then runs back through
    critical predecessors whose dependency is tight in the work pass (each time the smallest id), and is
    listed first → last.

Placement reasons (``StepResult.placement``, cutovers only), in this order when they apply:
    ``national_run`` the legal-date batch; ``legal_date`` held to the legal day; ``dispensation`` held to
    the dispensation date; ``target`` the planner's target; ``capacity`` moved to spread its vendor's
    load; ``freeze:<label>`` moved out of that window; ``work`` none of these: where its work allows.

Waves
    Per merger, the cutovers that go live (not skipped) are layered by their dependencies among each
    other (one reaches another through a chain of other steps; ``topological_layers``; layer 1 = no cutover
    upstream) and grouped by (layer, ISO week of go-live). Waves are numbered 1.. by milestone date (the
    latest go-live in the wave), then layer, then smallest id.

Findings — infeasibility is reported, never raised (``Schedule.feasible`` is True when there are none)
    deadline_missed      a step finishes (early) after its deadline. ``step_ids`` is the driving chain
                         first → last (each step's early start was set by the previous one; the chain begins
                         where a status date, not_before, actual date, gate, freeze or placement set it),
                         ``date`` the deadline, ``days`` how many working days late.
    gate_after_deadline  a cutover's gate lies after its deadline, so it cannot be met whatever happens
                         (``date`` = the gate, ``days`` = working days between); it replaces deadline_missed
                         for that cutover.
    capacity_overflow    a vendor has more counted go-lives (not the national run) in an ISO week than its
                         capacity that week (``vendor``, ``week``, ``count``, ``capacity``; ``step_ids`` =
                         the cutovers; ``merger_id`` when they all belong to one merger).
Findings are sorted by kind (as in ``FINDING_KINDS``), merger, date, vendor, week and step ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .graph import topological_layers
from .model import FINDING_KINDS, Finding, Scenario, ScenarioSummary, Schedule, StepResult, WaveResult
from .passes import start_allowed
from .placement import capacity_of
from .prepare import FS, INF, SCHEDULED, SS, Prepared


@dataclass(frozen=True)
class Dates:
    """What the passes of one scenario produced, as working-day indices per step position: early
    (``es``/``ef``), late finish (``lf``), the work's finish (``wef``), planned (``ps``/``pf``), the driving
    predecessor (``drv``), the gates, the national run and the placements (``pin``)."""

    scenario: Scenario
    es: list[int]
    ef: list[int]
    lf: list[int]
    wef: list[int]
    ps: list[int]
    pf: list[int]
    drv: list[int]
    gate: list[int]
    national: list[bool]
    pin: list[int]


def iso_week(week_id: int) -> str:
    """ISO week label of the Monday-based week number ``(ordinal - 1) // 7``."""
    year, week, _ = date.fromordinal(week_id * 7 + 1).isocalendar()
    return f"{year}-W{week:02d}"


class _Days:
    """The working days with indices ``lo … hi`` as ordinals and dates, each built once."""

    def __init__(self, pr: Prepared, lo: int, hi: int) -> None:
        self.cal, self.lo, self.hi = pr.cal, lo, hi
        self.ords = pr.cal.ordinals(lo, hi)
        fromord = date.fromordinal
        self.days = [fromord(o) for o in self.ords]
        self._weeks: dict[int, str] = {}

    def week(self, i: int) -> int:
        """The Monday-based week number of working day ``i`` (within ``lo … hi``)."""
        return (self.ords[i - self.lo] - 1) // 7

    def iso_week(self, i: int) -> str:
        w = self.week(i)
        s = self._weeks.get(w)
        if s is None:
            s = self._weeks[w] = iso_week(w)
        return s

    def day(self, i: int) -> date:
        return self.days[i - self.lo] if self.lo <= i <= self.hi else self.cal.date_of(i)


def reasons(pr: Prepared, d: Dates, v: int) -> tuple[str, ...]:
    """Why cutover ``v`` goes live on ``d.ef[v]`` (see the module docstring)."""
    if not pr.rules[v]:
        return ()
    es, ef, gate, national, pin = d.es, d.ef, d.gate, d.national, d.pin
    if pr.mode[v] != SCHEDULED:
        return ("national_run", "legal_date") if national[v] else ()
    dur = pr.dur[v]
    s = pr.lb[v]
    for p, add, typ in pr.preds[v]:
        s = max(s, start_allowed(typ, add, dur, es[p], ef[p]))
    f = s + dur - 1 if dur else s
    out: list[str] = []
    if national[v]:
        out.append("national_run")
    if gate[v] > f or national[v]:
        out.append("legal_date" if gate[v] == pr.legal[pr.mk[v]] else "dispensation")
        f = max(f, gate[v])
    if pin[v] > f:
        out.append("target" if pr.target[v] > -INF and pin[v] >= pr.target[v] else "capacity")
        f = pin[v]
    if ef[v] > f:
        op = pr.opens[v]
        label = op.closed_by(f) if op is not None else None
        out.append(f"freeze:{label}" if label else "work")
    if not out:
        out.append("work")
    return tuple(out)


def critical_path(pr: Prepared, crit: list[bool], wef: list[int]) -> dict[int, tuple[int, ...]]:
    """Per merger: from its critical step with the latest work finish, along tight work-pass edges."""
    n, ids, mk, mode, preds, succs = pr.n, pr.ids, pr.mk, pr.mode, pr.preds, pr.succs
    dur = pr.dur
    es0 = pr.es0
    wes = [f - (dur[v] - 1 if dur[v] else 0) if mode[v] == SCHEDULED else es0[v] for v, f in enumerate(wef)]
    nm = len(pr.mergers)
    ends: list[int] = [-1] * nm
    for v in range(n):
        if crit[v]:
            e = ends[mk[v]]
            if e < 0 or wef[v] > wef[e]:
                ends[mk[v]] = v

    def tight(p: int, v: int, add: int, typ: int) -> bool:
        if typ == FS:
            return wef[p] + add == wes[v]
        if typ == SS:
            return wes[p] + add == wes[v]
        return wef[p] + add == wef[v]

    out: dict[int, tuple[int, ...]] = {}
    for m in range(nm):
        chain: list[int] = []
        v = ends[m]
        while v >= 0:  # on to the end: a critical successor released by v on the same day
            nxt = -1
            for s, add, typ in succs[v]:
                if crit[s] and mk[s] == m and mode[s] == SCHEDULED and tight(v, s, add, typ):
                    nxt = s
                    break
            if nxt < 0:
                break
            v = nxt
        while v >= 0:
            chain.append(ids[v])
            nxt = -1
            if mode[v] == SCHEDULED:
                for p, add, typ in preds[v]:
                    if crit[p] and mk[p] == m and tight(p, v, add, typ):
                        nxt = p
                        break
            v = nxt
        chain.reverse()
        out[pr.mergers[m].id] = tuple(chain)
    return out


def _waves(pr: Prepared, ef: list[int], days: _Days) -> tuple[list[WaveResult], dict[int, int]]:
    """The waves of every merger, and the wave number of each live cutover."""
    n, mk, live, ids, mergers = pr.n, pr.mk, pr.live, pr.ids, pr.mergers
    reduced = pr.reduced_cutover_graph()
    wave_of: dict[int, int] = {}
    waves: list[WaveResult] = []
    by_merger: list[list[int]] = [[] for _ in mergers]
    for v in range(n):
        if live[v]:
            by_merger[mk[v]].append(v)
    for m, cuts in enumerate(by_merger):
        if not cuts:
            continue
        layers = topological_layers(cuts, ((p, v) for v in cuts for p in reduced[v] if mk[p] == m))
        groups: dict[tuple[int, int], list[int]] = {}
        for depth, layer in enumerate(layers, start=1):
            for v in layer:
                groups.setdefault((depth, days.week(ef[v])), []).append(v)
        keyed = sorted(
            (max(ef[v] for v in members), depth, min(members), members)
            for (depth, _), members in groups.items()
        )
        for number, (last, depth, _, members) in enumerate(keyed, start=1):
            members.sort()
            for v in members:
                wave_of[v] = number
            waves.append(
                WaveResult(
                    merger_id=mergers[m].id,
                    number=number,
                    week=days.iso_week(last),
                    milestone_date=days.day(last),
                    step_ids=tuple(ids[v] for v in members),
                    layer=depth,
                )
            )
    return waves, wave_of


def _step_results(
    pr: Prepared, d: Dates, days: _Days, ls: list[int], slack: list[int], crit: list[bool],
    wave_of: dict[int, int],
) -> dict[int, StepResult]:
    """One ``StepResult`` per step, by id."""
    es, ef, lf, ps, pf, live, lo, dates = d.es, d.ef, d.lf, d.ps, d.pf, pr.live, days.lo, days.days
    # Tens of thousands of results: fill each instance's __dict__ in one call rather than through the
    # frozen dataclass __init__. Same object, half the time.
    new, set_attr, get_wave = object.__new__, object.__setattr__, wave_of.get
    results: dict[int, StepResult] = {}
    for v, sid in enumerate(pr.ids):
        finish = dates[ef[v] - lo]
        r = new(StepResult)
        set_attr(
            r,
            "__dict__",
            {
                "id": sid,
                "early_start": dates[es[v] - lo],
                "early_finish": finish,
                "late_start": dates[ls[v] - lo],
                "late_finish": dates[lf[v] - lo],
                "total_slack": slack[v],
                "critical": crit[v],
                "go_live": finish if live[v] else None,
                "wave": get_wave(v),
                "planned_start": dates[ps[v] - lo],
                "planned_finish": dates[pf[v] - lo],
                "placement": reasons(pr, d, v) if live[v] else (),
            },
        )
        results[sid] = r
    return results


def _vendor_weeks(
    pr: Prepared, d: Dates, days: _Days
) -> tuple[dict[str, dict[int, list[int]]], dict[str, dict[int, int]]]:
    """The final go-lives per vendor and week (national run included), and the national run's batches."""
    live, vendor, national, ef = pr.live, pr.vendor, d.national, d.ef
    load: dict[str, dict[int, list[int]]] = {}
    batch: dict[str, dict[int, int]] = {}
    for v in range(pr.n):
        if live[v] and vendor[v] is not None:
            w = days.week(ef[v])
            if national[v]:
                batch.setdefault(vendor[v], {})[w] = batch.get(vendor[v], {}).get(w, 0) + 1
            load.setdefault(vendor[v], {}).setdefault(w, []).append(v)
    return load, batch


def _findings(
    pr: Prepared, d: Dates, load: dict[str, dict[int, list[int]]], days: _Days
) -> tuple[Finding, ...]:
    """The findings of the schedule, sorted (see the module docstring)."""
    n, ids, mk, mergers, rules, dl = pr.n, pr.ids, pr.mk, pr.mergers, pr.rules, pr.dl
    ef, drv, gate, national = d.ef, d.drv, d.gate, d.national
    findings: list[Finding] = []
    for v in range(n):
        if rules[v] and gate[v] > dl[v]:
            findings.append(
                Finding(
                    kind="gate_after_deadline",
                    merger_id=mergers[mk[v]].id,
                    step_ids=(ids[v],),
                    date=days.day(gate[v]),
                    days=gate[v] - dl[v],
                )
            )
        elif ef[v] > dl[v]:
            chain = [ids[v]]
            u = drv[v]
            while u >= 0:
                chain.append(ids[u])
                u = drv[u]
            chain.reverse()
            findings.append(
                Finding(
                    kind="deadline_missed",
                    merger_id=mergers[mk[v]].id,
                    step_ids=tuple(chain),
                    date=days.day(dl[v]),
                    days=ef[v] - dl[v],
                )
            )
    caps, cap_week = capacity_of(pr.problem)
    for vd in sorted(load):
        if vd not in caps:
            continue
        for w in sorted(load[vd]):
            members = sorted(v for v in load[vd][w] if not national[v])
            cap = cap_week.get((vd, w), caps[vd])
            if len(members) > cap:
                ms = {mk[v] for v in members}
                findings.append(
                    Finding(
                        kind="capacity_overflow",
                        merger_id=mergers[ms.pop()].id if len(ms) == 1 else None,
                        step_ids=tuple(ids[v] for v in members),
                        vendor=vd,
                        week=iso_week(w),
                        count=len(members),
                        capacity=cap,
                    )
                )
    findings.sort(
        key=lambda f: (
            FINDING_KINDS.index(f.kind),
            -1 if f.merger_id is None else f.merger_id,
            f.date or date.min,
            f.vendor or "",
            f.week or "",
            f.step_ids,
        )
    )
    return tuple(findings)


def assemble(pr: Prepared, d: Dates) -> Schedule:
    """The ``Schedule`` of one scenario from its passes' dates."""
    n, mk, todo = pr.n, pr.mk, pr.todo
    slack = [a - b for a, b in zip(d.lf, d.wef, strict=True)]
    ls = [a - b + c for a, b, c in zip(d.lf, d.ef, d.es, strict=True)]
    mins = [INF] * len(pr.mergers)
    for v in range(n):
        if todo[v] and slack[v] < mins[mk[v]]:
            mins[mk[v]] = slack[v]
    crit = [todo[v] and slack[v] == mins[mk[v]] for v in range(n)]
    path = critical_path(pr, crit, d.wef)

    lo = min(min(d.es), min(ls), min(d.ps)) if n else 0
    hi = max(max(d.ef), max(d.lf), max(d.pf)) if n else 0
    days = _Days(pr, lo, hi)
    waves, wave_of = _waves(pr, d.ef, days)
    results = _step_results(pr, d, days, ls, slack, crit, wave_of)
    load, batch = _vendor_weeks(pr, d, days)
    vendor_load = {vd: {iso_week(w): len(load[vd][w]) for w in sorted(load[vd])} for vd in sorted(load)}
    national_run = {vd: {iso_week(w): c for w, c in sorted(batch[vd].items())} for vd in sorted(batch)}
    return Schedule(
        scenario=d.scenario,
        steps=results,
        findings=_findings(pr, d, load, days),
        waves=tuple(waves),
        critical_path=path,
        vendor_load=vendor_load,
        national_run=national_run,
    )


def summarise(sched: Schedule) -> ScenarioSummary:
    """The figures of a schedule that the scenario comparison shows side by side."""
    results = sched.steps.values()
    go_lives = [r.go_live for r in results if r.go_live is not None]
    return ScenarioSummary(
        scenario=sched.scenario,
        vendor_load=sched.vendor_load,
        vendor_peak={vd: max(weeks.values()) for vd, weeks in sched.vendor_load.items()},
        min_slack=min((r.total_slack for r in results), default=0),
        total_slack=sum(r.total_slack for r in results if r.go_live is not None),
        critical_count=sum(1 for r in results if r.critical),
        findings=sched.findings,
        first_go_live=min(go_lives, default=None),
        last_go_live=max(go_lives, default=None),
        national_run=sched.national_run,
    )
