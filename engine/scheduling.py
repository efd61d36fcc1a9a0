"""The pure scheduling engine: dates, slack, critical path, waves and vendor load of merger runbooks.

Frozen dataclasses in (``Problem``), frozen dataclasses out (``Schedule``); no Django import. Same input,
same output: every tie is broken by id and no set order leaks into the result.

Time
    All arithmetic runs on working-day indices of the problem's ``WorkCalendar`` (see engine.calendar);
    dates are converted once on the way in and once on the way out. A step of duration d ≥ 1 that starts
    on working day s occupies s … s+d−1, so its finish is its *last* working day. A milestone (d = 0)
    starts and finishes on the day it happens. Dates that fall on a non-working day are read as the next
    working day (starts, gates, targets, ``not_before``, ``status_date``) or the previous one (finishes,
    deadlines).

Dependencies (lags in working days; negative lags are leads)
    FS, lag L: the successor starts ≥ pred finish + 1 + L when the predecessor lasts ≥ 1 day, and
    ≥ pred start + L when it is a milestone (a milestone releases its successors that same day).
    SS, lag L: the successor starts ≥ pred start + L.
    FF, lag L: the successor finishes ≥ pred finish + L (an interface: a system that feeds on another goes
    live with it or after it).

Status (both forward passes below), from ``status_date`` (read as the next working day)
    done / skipped with actual dates: keep them (a missing start or finish is derived from the duration).
    done / skipped without dates: a milestone (duration 0) at its earliest, like a step not started.
    in_progress with ``actual_start``: keeps it; finishes at start + d − 1 but no earlier than status_date;
    dependencies no longer move it. Without ``actual_start`` it is scheduled like a step not started.
    not_started / blocked: start ≥ status_date, ≥ ``not_before`` and ≥ every dependency.
    A ``first_payroll`` step (``plan_tag``) starts on a pay day (the last working day of a month).

Go-live window of a cutover (kind "cutover", not done or skipped): [gate, deadline] by its area's
``binding`` (see ``go_live_window``; None reads as ``dispensation``) and the scenario:
        binding        ACTUAL                         ROLLING                       BIG_BANG   deadline
        legal_date     legal date                     legal date                    legal      legal
        dispensation   granted dispensation, else     dispensation date (applied    legal      legal
                       legal date                     or granted), else legal
        free           (status date)                  (status date)                 legal      legal
        may_follow     as dispensation                as dispensation               legal      own deadline
    "legal" is the first working day from the merger's legal date (2007-01-01 is a holiday: 2007-01-02).
    A ``post_merger`` cutover has only its own ``deadline``. A cutover whose window is that single legal
    day (legal-date binding, or no dispensation) is the vendor's *national conversion run*: it goes live
    on the legal day whatever the freezes say, and does not count against the vendor's weekly capacity.
    Any other go-live never lands on a day inside a freeze window that applies to its domain or vendor,
    nor within the working days of its user work after a window that blocks ``work`` (fællesferie): the
    longest run of ``alap`` preparation from a ``needs_users`` step (rehearsal, training) to the go-live
    must fit after the window. It moves to the next open day, the cutover with it.

Placement (ACTUAL and ROLLING) — go-lives that spread
    The cutovers still to place (scheduled, not national run) of vendors with a capacity, and every
    cutover with a ``target``, are placed one at a time: among those whose upstream cutovers are placed,
    the one with least slack to its window's end first (ties by id). A capacity-bound one goes to the ISO
    week of its window with the lowest load among those with room (capacity per week: the vendor's, or
    a ``CapacityPeriod``'s for weeks starting inside it), then the one whose first open day is closest to
    its target (without a target: to its earliest), then the earliest; within the week, its first open
    day. With no week with room, the week of lowest load (the overflow is a finding). A cutover of an
    unbounded vendor goes to its target's first open day when the work allows. A placement pushes the
    successors (the forward pass reruns from it). BIG_BANG does not place: the overload shows as
    capacity_overflow.

Three passes of dates per scenario
    early (ES/EF)   the forward pass above: work, status, gates, placement, freezes, pay days.
    late (LS/LF)    the backward pass from the deadlines: latest finish = min(own deadline, what every
                    successor allows). Every step that is not ``post_merger`` and has no live cutover
                    up- or downstream carries the legal date as deadline (it finishes on the last working
                    day before the legal day); the preparation of a go-live is bound by the go-live. So
                    no pre-merger step's latest date lies after the legal date (unless it prepares a
                    ``may_follow`` go-live).
                    A step with no deadline at or downstream of it gets its merger's project end (the
                    latest early finish) instead. Cutovers' latest go-lives step back out of freezes,
                    ``first_payroll`` steps back to a pay day.
    planned         ``asap`` steps: their early dates. ``alap`` steps (MS Project's "as late as
                    possible"), in reverse topological order: the latest finish that every successor's
                    *planned* start (or finish, for FF) and the step's own late finish allow, never
                    earlier than its early finish; a ``needs_users`` step moves earlier out of windows
                    that block ``work`` (but not before its early finish). So the preparation of a go-live
                    (trial conversion, tests, rehearsal, training) sits just in time before it, and an
                    alap step never delays an asap successor.
    Slack and the critical path measure the *work*: a fourth, plain forward pass (dependencies, status,
    ``not_before``, pay days; no gates, placement or freezes) gives the work's earliest finish WF, and
    total_slack = LF − WF in working days (negative when a deadline cannot be met by the work). So the
    chain of least slack runs from today through the preparation to the go-lives, whether a gate holds the
    go-live back or not. A step still to do is critical when its slack equals the least slack of its
    merger's steps still to do (the longest path). The merger's critical path starts from its critical
    step with the latest work finish (ties: smallest id), goes on to the end through critical successors
    it releases that same day, then runs back through critical predecessors whose dependency is tight in
    the work pass (each time the smallest id), and is listed first → last.

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
Only a dependency cycle raises (``CyclicDependencyError``); malformed input (unknown ids, statuses,
kinds, bindings, directions or dependency types, duplicate step ids, negative durations) raises
``ValueError``. The domain's plan check (``engine.plancheck``) reads the results against the calendar.

Speed
    One topological order (Kahn) per problem; the passes run over flat lists indexed by step position,
    placement by incremental forward propagation from each moved cutover only; dates are built once per
    distinct day. ``compare_scenarios`` prepares the graph once.
"""

from __future__ import annotations

import gc
import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .calendar import WORK, FreezeWindow, WorkCalendar

STATUSES = ("not_started", "in_progress", "blocked", "done", "skipped")
KINDS = ("task", "milestone", "checkpoint", "cutover")
DEPENDENCY_TYPES = ("FS", "SS", "FF")
BINDINGS = ("legal_date", "dispensation", "free", "may_follow")
DIRECTIONS = ("asap", "alap")
PLAN_TAGS = ("", "training", "rehearsal", "first_payroll", "reconciliation")
FINDING_KINDS = ("deadline_missed", "gate_after_deadline", "capacity_overflow")

_INF = 1 << 50  # "no deadline"; far beyond any working-day index
_HUGE = 1 << 49  # anything at or above is treated as _INF
_SCHEDULED, _FIXED, _RUNNING = 0, 1, 2
_FS, _SS, _FF = 0, 1, 2
_TYPE = {"FS": _FS, "SS": _SS, "FF": _FF}


class CyclicDependencyError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists it (each step a predecessor of the next)."""

    def __init__(self, cycle: Iterable[int]) -> None:
        self.cycle: tuple[int, ...] = tuple(cycle)
        path = " → ".join(str(i) for i in (*self.cycle, self.cycle[0])) if self.cycle else ""
        super().__init__(f"cycle: {path}")


class Scenario(StrEnum):
    ACTUAL = "actual"
    BIG_BANG = "big_bang"
    ROLLING = "rolling"


@dataclass(frozen=True)
class StepIn:
    id: int
    merger_id: int
    duration: int  # working days >= 0 (0 = milestone)
    kind: str  # "task" | "milestone" | "checkpoint" | "cutover"
    status: str = "not_started"  # | "in_progress" | "blocked" | "done" | "skipped"
    domain: str | None = None
    vendor: str | None = None
    actual_start: date | None = None
    actual_finish: date | None = None
    post_merger: bool = False  # a cutover allowed after the legal date ...
    deadline: date | None = None  # ... with its own later deadline (also usable on any step)
    not_before: date | None = None
    binding: str | None = None  # cutovers: the area's legal binding (None = "dispensation")
    direction: str = "asap"  # "asap" | "alap"
    target: date | None = None  # cutovers: the planner's target go-live
    needs_users: bool = False  # training, rehearsal: not inside a window that blocks "work"
    plan_tag: str = ""  # "training" | "rehearsal" | "first_payroll" (on a pay day) | "reconciliation"


@dataclass(frozen=True)
class DependencyIn:
    predecessor_id: int
    successor_id: int
    lag: int = 0  # working days
    type: str = "FS"  # "FS" finish-to-start | "SS" start-to-start | "FF" finish-to-finish


@dataclass(frozen=True)
class MergerIn:
    id: int
    legal_date: date
    dispensation_date: date | None = None  # requested or granted earliest cutover date
    dispensation_granted: bool = False


@dataclass(frozen=True)
class CapacityPeriod:
    """A vendor's go-lives per ISO week for the weeks that start inside [start, end] (lower in summer)."""

    vendor: str
    start: date
    end: date
    capacity: int


@dataclass(frozen=True)
class Problem:
    status_date: date  # "today"
    mergers: tuple[MergerIn, ...]
    steps: tuple[StepIn, ...]
    dependencies: tuple[DependencyIn, ...]
    calendar: WorkCalendar
    # vendor code -> max counted go-lives per ISO week; absent = unlimited
    capacities: Mapping[str, int] = field(default_factory=dict)
    capacity_periods: tuple[CapacityPeriod, ...] = ()


@dataclass(frozen=True)
class StepResult:
    id: int
    early_start: date
    early_finish: date
    late_start: date
    late_finish: date
    total_slack: int  # working days, negative when infeasible
    critical: bool
    go_live: date | None  # cutovers only
    wave: int | None  # cutovers only: wave number within its merger (1..)
    planned_start: date | None = None  # None: same as early_start
    planned_finish: date | None = None
    placement: tuple[str, ...] = ()  # cutovers: why the go-live sits where it does

    def __post_init__(self) -> None:
        if self.planned_start is None:
            object.__setattr__(self, "planned_start", self.early_start)
        if self.planned_finish is None:
            object.__setattr__(self, "planned_finish", self.early_finish)


@dataclass(frozen=True)
class Finding:
    kind: str  # one of FINDING_KINDS, see the module docstring
    merger_id: int | None
    step_ids: tuple[int, ...]  # for deadline_missed: the driving chain, first → last
    date: date | None = None
    days: int = 0
    vendor: str | None = None
    week: str | None = None  # ISO week "2006-W27"
    count: int = 0
    capacity: int = 0


@dataclass(frozen=True)
class WaveResult:
    merger_id: int
    number: int
    week: str
    milestone_date: date
    step_ids: tuple[int, ...]
    layer: int  # 1 = no cutover upstream


@dataclass(frozen=True)
class Schedule:
    scenario: Scenario
    steps: Mapping[int, StepResult]
    findings: tuple[Finding, ...]
    waves: tuple[WaveResult, ...]
    critical_path: Mapping[int, tuple[int, ...]]  # merger_id -> step ids, in order
    vendor_load: Mapping[str, Mapping[str, int]]  # vendor -> ISO week -> go-lives (national run included)
    national_run: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # vendor -> week -> batch

    @property
    def feasible(self) -> bool:
        """No finding: every deadline met, no gate after a deadline, no vendor week over capacity."""
        return not self.findings


@dataclass(frozen=True)
class ScenarioSummary:
    scenario: Scenario
    vendor_load: Mapping[str, Mapping[str, int]]
    vendor_peak: Mapping[str, int]  # vendor -> most go-lives in one week
    min_slack: int  # over all steps
    total_slack: int  # sum of the cutovers' slack: the buffer the plan leaves before the deadlines
    critical_count: int
    findings: tuple[Finding, ...]
    first_go_live: date | None
    last_go_live: date | None
    national_run: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # not counted for capacity


def go_live_window(
    *,
    binding: str | None,
    scenario: Scenario | str,
    legal_date: date,
    dispensation_date: date | None,
    dispensation_granted: bool,
    status_date: date,
    latest: date | None = None,
) -> tuple[date, date | None]:
    """The calendar dates [from, to] within which a cutover of an area with ``binding`` may go live.

    The same table as the module docstring (dates, not yet moved to working days or out of freezes);
    ``to`` is None for a ``may_follow`` area without a latest date.
    """
    binding = binding or "dispensation"
    if binding not in BINDINGS:
        raise ValueError(f"unknown binding {binding!r}")
    scenario = Scenario(scenario)
    if binding == "legal_date" or scenario is Scenario.BIG_BANG:
        gate = legal_date
    elif binding == "free":
        gate = status_date
    elif scenario is Scenario.ROLLING:
        gate = dispensation_date or legal_date
    else:
        gate = dispensation_date if (dispensation_granted and dispensation_date) else legal_date
    return gate, (latest if binding == "may_follow" else legal_date)


# --- graphs ---------------------------------------------------------------------------------------


def _find_cycle(remaining: Iterable[int], preds_of) -> tuple[int, ...]:
    """A cycle among ``remaining`` (nodes that all keep a remaining predecessor): walk predecessors from
    the smallest node, smallest first. Returned in dependency order, starting at its smallest node."""
    rem = set(remaining)
    v = min(rem)
    seen: dict[int, int] = {}
    path: list[int] = []
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        v = min(p for p in preds_of(v) if p in rem)
    cycle = path[seen[v] :]
    cycle.reverse()  # the walk went against the arrows
    k = cycle.index(min(cycle))
    return tuple(cycle[k:] + cycle[:k])


def topological_layers(nodes: Iterable[int], edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Kahn's layers of a DAG: layer 0 has no predecessor, layer k only predecessors in layers < k (and
    one in layer k − 1). Each layer is sorted by id. Raises ``CyclicDependencyError`` naming a cycle, and
    ``ValueError`` for an edge between unknown nodes."""
    order = sorted(set(nodes))
    succ: dict[int, list[int]] = {v: [] for v in order}
    preds: dict[int, list[int]] = {v: [] for v in order}
    indeg = dict.fromkeys(order, 0)
    for p, s in edges:
        if p not in succ or s not in succ:
            raise ValueError(f"edge {p} → {s} refers to an unknown node")
        succ[p].append(s)
        preds[s].append(p)
        indeg[s] += 1
    layers: list[list[int]] = []
    layer = [v for v in order if indeg[v] == 0]
    placed = 0
    while layer:
        layers.append(layer)
        placed += len(layer)
        nxt = []
        for v in layer:
            for s in succ[v]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    nxt.append(s)
        layer = sorted(nxt)
    if placed < len(order):
        raise CyclicDependencyError(_find_cycle((v for v in order if indeg[v] > 0), preds.__getitem__))
    return layers


def _start_allowed(typ: int, add: int, duration: int, pred_start: int, pred_finish: int) -> int:
    """The earliest start of a successor lasting ``duration`` days that a predecessor starting and
    finishing on these indices allows through a dependency of type ``typ`` (``add`` as in the graph)."""
    if typ == _FS:
        return pred_finish + add
    if typ == _SS:
        return pred_start + add
    return pred_finish + add - (duration - 1 if duration else 0)


def _finish_allowed(typ: int, add: int, span: int, succ_start: int, succ_finish: int) -> int:
    """The latest finish of a predecessor (lasting ``span`` + 1 days) that a successor starting and
    finishing on these indices allows through a dependency of type ``typ`` (``add`` as in the graph)."""
    if typ == _FS:
        return succ_start - add
    if typ == _SS:
        return succ_start - add + span
    return succ_finish - add


def _iso_week(week_id: int) -> str:
    """ISO week label of the Monday-based week number ``(ordinal - 1) // 7``."""
    year, week, _ = date.fromordinal(week_id * 7 + 1).isocalendar()
    return f"{year}-W{week:02d}"


# --- the engine -----------------------------------------------------------------------------------


class _Open:
    """Open go-live days of one (domain, vendor, user-work days) combination over the span of its windows.

    ``nxt[k]`` / ``prv[k]`` are the next / previous open index from ``lo + k``; ``why[k]`` the label of the
    window that closes ``lo + k`` (None when open)."""

    __slots__ = ("lo", "nxt", "prv", "why")

    def __init__(self, lo: int, nxt: list[int], prv: list[int], why: list[str | None]) -> None:
        self.lo, self.nxt, self.prv, self.why = lo, nxt, prv, why

    def next_open(self, g: int) -> int:
        k = g - self.lo
        return self.nxt[k] if 0 <= k < len(self.nxt) else g

    def prev_open(self, g: int) -> int:
        k = g - self.lo
        return self.prv[k] if 0 <= k < len(self.prv) else g

    def closed_by(self, g: int) -> str | None:
        k = g - self.lo
        return self.why[k] if 0 <= k < len(self.why) else None


class _Engine:
    """The scenario-independent preparation of a problem (graph, indices, freezes), run per scenario."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        cal = self.cal = problem.calendar
        index_of = cal.index_of
        steps = sorted(problem.steps, key=lambda s: s.id)
        self.steps = steps
        n = self.n = len(steps)
        self.ids = ids = [s.id for s in steps]
        pos = {sid: k for k, sid in enumerate(ids)}
        if len(pos) != n:
            dup = next(a for a, b in zip(ids, ids[1:], strict=False) if a == b)
            raise ValueError(f"duplicate step id {dup}")

        mergers = sorted(problem.mergers, key=lambda m: m.id)
        self.mergers = mergers
        mpos = {m.id: k for k, m in enumerate(mergers)}
        if len(mpos) != len(mergers):
            raise ValueError("duplicate merger id")
        self.legal = [index_of(m.legal_date) for m in mergers]
        self.status = status_idx = index_of(problem.status_date)

        mk = self.mk = [0] * n
        dur = self.dur = [0] * n
        mode = self.mode = [_SCHEDULED] * n
        lb = self.lb = [status_idx] * n
        es0 = self.es0 = [0] * n
        ef0 = self.ef0 = [0] * n
        live = self.live = [False] * n  # a cutover that goes live (not skipped)
        rules = self.rules = [False] * n  # a cutover still to go live: gate, freezes, placement apply
        own_dl = [_INF] * n
        vendor = self.vendor = [None] * n
        self.binding = [""] * n
        self.alap = [False] * n
        self.users = [False] * n
        self.payday = [False] * n
        self.target = [-_INF] * n
        for k, s in enumerate(steps):
            try:
                mk[k] = mpos[s.merger_id]
            except KeyError:
                raise ValueError(f"step {s.id}: unknown merger {s.merger_id}") from None
            if s.status not in STATUSES:
                raise ValueError(f"step {s.id}: unknown status {s.status!r}")
            if s.kind not in KINDS:
                raise ValueError(f"step {s.id}: unknown kind {s.kind!r}")
            if s.duration < 0:
                raise ValueError(f"step {s.id}: negative duration")
            if s.binding is not None and s.binding not in BINDINGS:
                raise ValueError(f"step {s.id}: unknown binding {s.binding!r}")
            if s.direction not in DIRECTIONS:
                raise ValueError(f"step {s.id}: unknown direction {s.direction!r}")
            if s.plan_tag not in PLAN_TAGS:
                raise ValueError(f"step {s.id}: unknown plan tag {s.plan_tag!r}")
            d = s.duration
            st = s.status
            if st in ("done", "skipped"):
                if s.actual_start is None and s.actual_finish is None:
                    d = 0
                else:
                    mode[k] = _FIXED
                    if s.actual_start is not None:
                        a = index_of(s.actual_start)
                        f = (
                            index_of(s.actual_finish, previous=True)
                            if s.actual_finish is not None
                            else (a + d - 1 if d else a)
                        )
                    else:
                        f = index_of(s.actual_finish, previous=True)
                        a = f - d + 1 if d else f
                    es0[k], ef0[k] = a, max(a, f)
            elif st == "in_progress" and s.actual_start is not None:
                mode[k] = _RUNNING
                a = index_of(s.actual_start)
                es0[k], ef0[k] = a, max(a + d - 1 if d else a, status_idx)
            if mode[k] == _SCHEDULED and s.not_before is not None:
                lb[k] = max(status_idx, index_of(s.not_before))
            dur[k] = d
            vendor[k] = s.vendor
            self.alap[k] = s.direction == "alap"
            self.users[k] = s.needs_users
            self.payday[k] = s.plan_tag == "first_payroll" and d == 0
            own_dl[k] = index_of(s.deadline, previous=True) if s.deadline is not None else _INF
            if s.kind == "cutover" and st != "skipped":
                live[k] = True
                self.binding[k] = s.binding or "dispensation"
                if st != "done":
                    rules[k] = True
                    if s.target is not None:
                        self.target[k] = index_of(s.target)

        # Dependencies: preds[v] / succs[p] as (node, add, type), sorted by node (= by id).
        preds: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        succs: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for dep in problem.dependencies:
            p = pos.get(dep.predecessor_id)
            s = pos.get(dep.successor_id)
            if p is None or s is None:
                raise ValueError(
                    f"dependency {dep.predecessor_id} → {dep.successor_id} refers to an unknown step"
                )
            typ = _TYPE.get(dep.type)
            if typ is None:
                raise ValueError(f"dependency {dep.predecessor_id} → {dep.successor_id}: type {dep.type!r}")
            add = dep.lag + (1 if typ == _FS and dur[p] else 0)
            preds[s].append((p, add, typ))
            succs[p].append((s, add, typ))
        for lst in preds:
            if len(lst) > 1:
                lst.sort()
        for lst in succs:
            if len(lst) > 1:
                lst.sort()
        self.preds, self.succs = preds, succs
        self.order = self._topological_order()
        self._reduced: list[list[int]] | None = None

        # Deadlines: cutovers by binding; pre-merger work with no live cutover upstream by the legal date.
        dl = self.dl = own_dl[:]
        after_cutover = [False] * n
        for v in self.order:
            if any(live[p] or after_cutover[p] for p, _, _ in preds[v]):
                after_cutover[v] = True
        before_cutover = [False] * n
        for v in reversed(self.order):
            if any(live[s] or before_cutover[s] for s, _, _ in succs[v]):
                before_cutover[v] = True
        post = [s.post_merger for s in steps]
        for v in range(n):
            legal = self.legal[mk[v]]
            if live[v]:
                if not post[v] and self.binding[v] != "may_follow":
                    dl[v] = min(own_dl[v], legal)
            elif steps[v].status != "skipped" and not (post[v] or after_cutover[v] or before_cutover[v]):
                dl[v] = min(own_dl[v], legal - 1)

        # User work per cutover: the working days from the start of its earliest needs_users preparation
        # (reached through alap steps only) to the go-live; the go-live keeps them clear of "work" windows.
        self.prep = [0] * n
        tpos = [0] * n
        for t, v in enumerate(self.order):
            tpos[v] = t
        for c in range(n):
            if rules[c]:
                self.prep[c] = self._user_work_days(c, tpos)

        # Freeze windows as open-day arrays per (domain, vendor, user-work days); "work" spans per step.
        combos: dict[tuple[str | None, str | None, int], _Open | None] = {}
        self.opens: list[_Open | None] = [None] * n
        work_spans: dict[tuple[str | None, str | None], list[tuple[int, int, str]]] = {}
        self.work = [None] * n
        for k, s in enumerate(steps):
            if rules[k]:
                key = (s.domain, s.vendor, self.prep[k])
                if key not in combos:
                    combos[key] = self._open_arrays(*key)
                self.opens[k] = combos[key]
            if self.users[k] and mode[k] == _SCHEDULED:
                wk = (s.domain, s.vendor)
                if wk not in work_spans:
                    work_spans[wk] = self._work_spans(s.domain, s.vendor)
                self.work[k] = work_spans[wk] or None
        self._paydays: dict[int, int] = {}
        self.todo = [s.status in ("not_started", "in_progress", "blocked") for s in steps]

    def _user_work_days(self, c: int, tpos: list[int]) -> int:
        """The longest run of alap preparation from a needs_users step up to cutover ``c`` (working days)."""
        preds, alap, mode, users, dur, rules = self.preds, self.alap, self.mode, self.users, self.dur, self.rules
        seen = {c}
        stack = [c]
        while stack:
            x = stack.pop()
            for p, _, _ in preds[x]:
                if p not in seen and alap[p] and mode[p] == _SCHEDULED and not rules[p]:
                    seen.add(p)
                    stack.append(p)
        dist = {c: 0}
        best = 0
        for x in sorted(seen, key=tpos.__getitem__, reverse=True):
            if x == c:
                continue
            dist[x] = dur[x] + max(dist[s] for s, _, _ in self.succs[x] if s in dist)
            if users[x] and dist[x] > best:
                best = dist[x]
        return best

    def _windows(self, domain: str | None, vendor: str | None) -> list[tuple[int, int, FreezeWindow]]:
        cal = self.cal
        out = []
        for w in cal.freezes:
            if w.applies_to(domain, vendor):
                a, b = cal.index_of(w.start), cal.index_of(w.end, previous=True)
                if a <= b:
                    out.append((a, b, w))
        return out

    def _work_spans(self, domain: str | None, vendor: str | None) -> list[tuple[int, int, str]]:
        return sorted((a, b, w.label) for a, b, w in self._windows(domain, vendor) if w.blocks == WORK)

    def _open_arrays(self, domain: str | None, vendor: str | None, prep: int) -> _Open | None:
        """The open go-live days of a cutover of domain/vendor with ``prep`` days of user work, or None."""
        spans = []
        for a, b, w in self._windows(domain, vendor):
            spans.append((a, b, w.label))
            if w.blocks == WORK and prep > 0:
                spans.append((b + 1, b + prep, w.label))  # the user work cannot sit in the window
        if not spans:
            return None
        lo = min(a for a, _, _ in spans)
        hi = max(b for _, b, _ in spans)
        why: list[str | None] = [None] * (hi - lo + 1)
        for a, b, label in sorted(spans, reverse=True):  # the earliest window's label wins an overlap
            for k in range(a - lo, b - lo + 1):
                why[k] = label
        size = hi - lo + 1
        nxt = [0] * size
        prv = [0] * size
        cur = hi + 1
        for k in range(size - 1, -1, -1):
            if why[k] is None:
                cur = lo + k
            nxt[k] = cur
        cur = lo - 1
        for k in range(size):
            if why[k] is None:
                cur = lo + k
            prv[k] = cur
        return _Open(lo, nxt, prv, why)

    def pay_day(self, i: int, *, before: bool = False) -> int:
        """The index of the first pay day on or after working day ``i`` (the last on or before it)."""
        key = -i - 1 if before else i
        p = self._paydays.get(key)
        if p is None:
            cal = self.cal
            d = cal.date_of(i)
            p = cal.index_of(cal.pay_day_on_or_before(d) if before else cal.pay_day_on_or_after(d))
            self._paydays[key] = p
        return p

    def _topological_order(self) -> list[int]:
        n, preds, succs = self.n, self.preds, self.succs
        indeg = [len(p) for p in preds]
        queue = deque(v for v in range(n) if not indeg[v])
        order: list[int] = []
        append, popleft = order.append, queue.popleft
        while queue:
            v = popleft()
            append(v)
            for s, _, _ in succs[v]:
                indeg[s] -= 1
                if not indeg[s]:
                    queue.append(s)
        if len(order) < n:
            ids = self.ids
            remaining = [ids[v] for v in range(n) if indeg[v]]
            pos = {ids[v]: v for v in range(n)}
            raise CyclicDependencyError(
                _find_cycle(remaining, lambda i: [ids[p] for p, _, _ in preds[pos[i]]])
            )
        return order

    def reduced_cutover_graph(self) -> list[list[int]]:
        """For each live cutover, the live cutovers that reach it through non-cutover steps only."""
        if self._reduced is not None:
            return self._reduced
        n, preds, live = self.n, self.preds, self.live
        bit = {}
        for v in range(n):
            if live[v]:
                bit[v] = len(bit)
        by_bit = list(bit)  # bits ascend with the step id, so the lists below come out sorted
        contrib = [0] * n  # the cutovers a successor of v sees through v, as a bit mask
        reduced: list[list[int]] = [[] for _ in range(n)]
        for v in self.order:
            m = 0
            for p, _, _ in preds[v]:
                m |= contrib[p]
            if live[v]:
                contrib[v] = 1 << bit[v]
                lst = reduced[v]
                while m:
                    low = m & -m
                    lst.append(by_bit[low.bit_length() - 1])
                    m ^= low
            else:
                contrib[v] = m
        self._reduced = reduced
        return reduced

    # --- one scenario -------------------------------------------------------------------------------

    def gates(self, scenario: Scenario) -> tuple[list[int], list[bool]]:
        """Per step: the first day its go-live may take (−inf for non-cutovers) and whether it belongs to
        the national run (its window is the single legal day)."""
        n, mk, rules, binding, legal, dl = self.n, self.mk, self.rules, self.binding, self.legal, self.dl
        index_of = self.cal.index_of
        disp = []
        for m in self.mergers:
            if scenario is Scenario.BIG_BANG:
                disp.append(index_of(m.legal_date))
            elif scenario is Scenario.ROLLING:
                disp.append(index_of(m.dispensation_date or m.legal_date))
            else:
                granted = m.dispensation_granted and m.dispensation_date
                disp.append(index_of(m.dispensation_date if granted else m.legal_date))
        gate = [-_INF] * n
        national = [False] * n
        for v in range(n):
            if not rules[v]:
                continue
            b = binding[v]
            m = mk[v]
            if b == "legal_date" or scenario is Scenario.BIG_BANG:
                g = legal[m]
            elif b == "free":
                g = -_INF
            else:
                g = disp[m]
            gate[v] = g
            national[v] = g == legal[m] and dl[v] == legal[m]
        return gate, national

    def forward(self, gate: list[int] | None, national: list[bool] | None, pin: list[int] | None):
        """A forward pass. With ``gate`` None: the work alone (no gates, freezes, placement, user-work
        windows). Returns (es, ef, drv, relax)."""
        n, mode, dur, lb, preds, rules = self.n, self.mode, self.dur, self.lb, self.preds, self.rules
        opens, users, work, payday = self.opens, self.users, self.work, self.payday
        es = self.es0[:]
        ef = self.ef0[:]
        drv = [-1] * n
        plan = gate is not None

        def push_go_live(v: int, g: int) -> int:
            if g < gate[v]:
                g = gate[v]
            if g < pin[v]:
                g = pin[v]
            if national[v]:
                return g
            op = opens[v]
            if op is not None:
                g = op.next_open(g)
            return g

        if plan:
            for v in range(n):
                if mode[v] == _RUNNING and rules[v]:
                    ef[v] = push_go_live(v, ef[v])

        def relax(v: int) -> bool:
            """Recompute a scheduled step's early dates from its predecessors; True if they changed."""
            s = lb[v]
            dv = -1
            d = dur[v]
            for p, add, typ in preds[v]:
                b = _start_allowed(typ, add, d, es[p], ef[p])
                if b > s or (b == s and dv < 0):
                    s = b
                    dv = p
            if payday[v]:
                p_ = self.pay_day(s)
                if p_ != s:
                    s = p_
                    dv = -1
            if plan and users[v] and work[v] is not None:
                moved = True
                while moved:
                    moved = False
                    e = s + d - 1 if d else s
                    for a, b, _ in work[v]:
                        if a <= e and s <= b:
                            s = b + 1
                            dv = -1
                            moved = True
            f = s + d - 1 if d else s
            if plan and rules[v]:
                g = push_go_live(v, f)
                if g != f:
                    f = g
                    s = g - d + 1 if d else g
                    dv = -1
            drv[v] = dv
            if es[v] == s and ef[v] == f:
                return False
            es[v] = s
            ef[v] = f
            return True

        for v in self.order:
            if mode[v] == _SCHEDULED:
                relax(v)
        return es, ef, drv, relax

    def run(self, scenario: Scenario) -> Schedule:
        n = self.n
        gate, national = self.gates(scenario)
        pin = [-_INF] * n
        es, ef, drv, relax = self.forward(gate, national, pin)
        if scenario is not Scenario.BIG_BANG:
            self._place(es, ef, pin, relax, national)
        _, wef, _, _ = self.forward(None, None, None)
        lf = self._backward(es, ef, national, deadline_only=False)
        ps, pf = self._planned(es, ef, lf)
        return self._result(scenario, es, ef, lf, wef, ps, pf, drv, gate, national, pin)

    def _backward(
        self, es: list[int], ef: list[int], national: list[bool], *, deadline_only: bool
    ) -> list[int]:
        """Latest finishes. Steps with no deadline downstream get the merger's project end, or _INF when
        ``deadline_only`` (then the result is the latest finish that keeps every deadline downstream).
        The national run's go-lives are not moved by freezes."""
        n, mk, dl, succs, rules, opens = self.n, self.mk, self.dl, self.succs, self.rules, self.opens
        payday = self.payday
        if deadline_only:
            pe = [_INF] * len(self.mergers)
        else:
            pe = [-_INF] * len(self.mergers)
            for v in range(n):
                if ef[v] > pe[mk[v]]:
                    pe[mk[v]] = ef[v]
        lf = [0] * n
        ls = [0] * n
        bound = [False] * n  # a deadline lies at or downstream of the step
        for v in reversed(self.order):
            x = dl[v]
            b = x < _HUGE
            span = ef[v] - es[v]
            for s, add, typ in succs[v]:
                c = _finish_allowed(typ, add, span, ls[s], lf[s])
                if c < x:
                    x = c
                if bound[s]:
                    b = True
            if b:
                bound[v] = True
            elif x > pe[mk[v]]:
                x = pe[mk[v]]  # no deadline downstream: the project end binds (also past SS successors)
            if x < _HUGE:
                if rules[v] and opens[v] is not None and not national[v]:
                    x = opens[v].prev_open(x)
                if payday[v]:
                    x = self.pay_day(x, before=True)
            lf[v] = x
            ls[v] = x - span
        return lf

    def _planned(self, es: list[int], ef: list[int], lf: list[int]) -> tuple[list[int], list[int]]:
        """Planned dates: early for asap steps; as late as the successors' planned dates allow for alap."""
        alap, mode, rules, succs, users, work = self.alap, self.mode, self.rules, self.succs, self.users, self.work
        ps = es[:]
        pf = ef[:]
        for v in reversed(self.order):
            if not alap[v] or mode[v] != _SCHEDULED or rules[v]:
                continue
            span = ef[v] - es[v]
            x = lf[v] if lf[v] < _HUGE else ef[v]
            for s, add, typ in succs[v]:
                c = _finish_allowed(typ, add, span, ps[s], pf[s])
                if c < x:
                    x = c
            if x < ef[v]:
                x = ef[v]
            if users[v] and work[v] is not None:
                y = x
                moved = True
                while moved and y >= ef[v]:
                    moved = False
                    for a, b, _ in work[v]:
                        if a <= y and y - span <= b:
                            y = a - 1
                            moved = True
                x = y if y >= ef[v] else ef[v]
            pf[v] = x
            ps[v] = x - span
        return ps, pf

    def _capacity_of(self) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """Default weekly capacity per vendor and the overrides per (vendor, Monday-based week number)."""
        caps = dict(self.problem.capacities)
        by_week: dict[tuple[str, int], int] = {}
        for p in sorted(self.problem.capacity_periods, key=lambda p: (p.vendor, p.start, p.end, p.capacity)):
            o = p.start.toordinal()
            w = (o - 1) // 7 if (o - 1) % 7 == 0 else (o - 1) // 7 + 1  # first week starting inside
            while w * 7 + 1 <= p.end.toordinal():
                by_week[p.vendor, w] = p.capacity
                w += 1
        return caps, by_week

    def _place(self, es: list[int], ef: list[int], pin: list[int], relax, national: list[bool]) -> None:
        """Place the cutovers still to go live that have a capacity-bound vendor or a target, one at a time
        (see the module docstring): the lowest-load week with room, then closest to the target."""
        n, vendor, target = self.n, self.vendor, self.target
        rules, mode, live = self.rules, self.mode, self.live
        caps, cap_week = self._capacity_of()
        lev = [
            rules[v] and mode[v] == _SCHEDULED and not national[v] and (vendor[v] in caps or target[v] > -_INF)
            for v in range(n)
        ]
        if not any(lev):
            return
        cal = self.cal
        dlf = self._backward(es, ef, national, deadline_only=True)
        reduced = self.reduced_cutover_graph()
        opens, succs, order = self.opens, self.succs, self.order
        tpos = [0] * n
        for t, v in enumerate(order):
            tpos[v] = t

        ords_first = [min(es) if n else 0]
        ords = [cal.ordinals(ords_first[0], max(ef) + 260)]

        def week_of(i: int) -> int:
            k = i - ords_first[0]
            if k < 0 or k >= len(ords[0]):
                lo = min(ords_first[0], i - 260)
                hi = max(ords_first[0] + len(ords[0]) - 1, i + 260)
                ords[0] = cal.ordinals(lo, hi)
                ords_first[0] = lo
                k = i - lo
            return (ords[0][k] - 1) // 7

        load: dict[str, dict[int, int]] = {vd: {} for vd in caps}
        for v in range(n):
            if live[v] and mode[v] != _SCHEDULED and vendor[v] in caps and not national[v]:
                w = week_of(ef[v])
                load[vendor[v]][w] = load[vendor[v]].get(w, 0) + 1

        rsuccs: list[list[int]] = [[] for _ in range(n)]
        indeg = [0] * n
        cut_nodes = [v for v in range(n) if live[v]]
        for v in cut_nodes:
            indeg[v] = len(reduced[v])
            for p in reduced[v]:
                rsuccs[p].append(v)

        in_queue = [False] * n

        def propagate(c: int) -> None:
            relax(c)
            heap = []
            for s, _, _ in succs[c]:
                if not in_queue[s]:
                    in_queue[s] = True
                    heap.append(tpos[s])
            heapq.heapify(heap)
            while heap:
                v = order[heapq.heappop(heap)]
                in_queue[v] = False
                if mode[v] == _SCHEDULED and relax(v):
                    for s, _, _ in succs[v]:
                        if not in_queue[s]:
                            in_queue[s] = True
                            heapq.heappush(heap, tpos[s])

        def open_day(c: int, g: int) -> int:
            op = opens[c]
            return op.next_open(g) if op is not None else g

        def place(c: int) -> None:
            g0 = ef[c]
            end = dlf[c]
            aim = target[c] if target[c] > -_INF else g0
            vd = vendor[c]
            if vd not in caps:
                g = open_day(c, max(g0, aim))
                if g > end and end >= g0:
                    g = g0
            else:
                vl = load[vd]
                best = None  # (no room, load, distance to aim, day): the smallest wins
                g = g0
                aim_week = week_of(aim)
                while g <= max(end, g0):
                    w = week_of(g)
                    cap = cap_week.get((vd, w), caps[vd])
                    used = vl.get(w, 0)
                    day = g
                    if w == aim_week and aim > g:
                        d2 = open_day(c, aim)
                        if week_of(d2) == w and d2 <= max(end, g0):
                            day = d2  # the target's own day when its week is chosen
                    key = (used >= cap, used, abs(day - aim), day)
                    if best is None or key < best:
                        best = key
                    g = open_day(c, cal.index_of_ordinal((w + 1) * 7 + 1))
                    if end >= _HUGE and g - g0 > 520:
                        break  # no deadline: two years of weeks are enough to choose from
                g = best[3] if best is not None else g0
                w = week_of(g)
                vl[w] = vl.get(w, 0) + 1
            if g != g0:
                pin[c] = g
                propagate(c)

        ready: list[tuple[int, int]] = []
        pending = [v for v in cut_nodes if not indeg[v]]
        while True:
            while pending:
                v = pending.pop()
                if lev[v]:
                    heapq.heappush(ready, (dlf[v] - ef[v], v))
                    continue
                for s in rsuccs[v]:
                    indeg[s] -= 1
                    if not indeg[s]:
                        pending.append(s)
            if not ready:
                break
            _, c = heapq.heappop(ready)
            place(c)
            for s in rsuccs[c]:
                indeg[s] -= 1
                if not indeg[s]:
                    pending.append(s)

    def _reasons(
        self, v: int, es: list[int], ef: list[int], gate: list[int], national: list[bool], pin: list[int]
    ) -> tuple[str, ...]:
        """Why cutover ``v`` goes live on ``ef[v]`` (see the module docstring)."""
        if not self.rules[v]:
            return ()
        if self.mode[v] != _SCHEDULED:
            return ("national_run", "legal_date") if national[v] else ()
        d = self.dur[v]
        s = self.lb[v]
        for p, add, typ in self.preds[v]:
            s = max(s, _start_allowed(typ, add, d, es[p], ef[p]))
        f = s + d - 1 if d else s
        out: list[str] = []
        if national[v]:
            out.append("national_run")
        if gate[v] > f or national[v]:
            out.append("legal_date" if gate[v] == self.legal[self.mk[v]] else "dispensation")
            f = max(f, gate[v])
        if pin[v] > f:
            out.append("target" if self.target[v] > -_INF and pin[v] >= self.target[v] else "capacity")
            f = pin[v]
        if ef[v] > f:
            op = self.opens[v]
            label = op.closed_by(f) if op is not None else None
            out.append(f"freeze:{label}" if label else "work")
        if not out:
            out.append("work")
        return tuple(out)

    def _result(
        self,
        scenario: Scenario,
        es: list[int],
        ef: list[int],
        lf: list[int],
        wef: list[int],
        ps: list[int],
        pf: list[int],
        drv: list[int],
        gate: list[int],
        national: list[bool],
        pin: list[int],
    ) -> Schedule:
        n, mk, mergers = self.n, self.mk, self.mergers
        slack = [a - b for a, b in zip(lf, wef, strict=True)]
        ls = [a - b + c for a, b, c in zip(lf, ef, es, strict=True)]
        todo = self.todo
        nm = len(mergers)
        mins = [_INF] * nm
        for v in range(n):
            if todo[v] and slack[v] < mins[mk[v]]:
                mins[mk[v]] = slack[v]
        crit = [todo[v] and slack[v] == mins[mk[v]] for v in range(n)]
        critical_path = self._critical_path(crit, wef)
        return self._assemble(
            scenario, es, ef, lf, ls, ps, pf, slack, crit, critical_path, drv, gate, national, pin
        )

    def _critical_path(self, crit: list[bool], wef: list[int]) -> dict[int, tuple[int, ...]]:
        """Per merger: from its critical step with the latest work finish, along tight work-pass edges."""
        n, ids, mk, mode, preds, succs = self.n, self.ids, self.mk, self.mode, self.preds, self.succs
        dur = self.dur
        wes = [f - (dur[v] - 1 if dur[v] else 0) if mode[v] == _SCHEDULED else self.es0[v] for v, f in enumerate(wef)]
        nm = len(self.mergers)
        ends: list[int] = [-1] * nm
        for v in range(n):
            if crit[v]:
                e = ends[mk[v]]
                if e < 0 or wef[v] > wef[e]:
                    ends[mk[v]] = v

        def tight(p: int, v: int, add: int, typ: int) -> bool:
            if typ == _FS:
                return wef[p] + add == wes[v]
            if typ == _SS:
                return wes[p] + add == wes[v]
            return wef[p] + add == wef[v]

        out: dict[int, tuple[int, ...]] = {}
        for m in range(nm):
            chain: list[int] = []
            v = ends[m]
            while v >= 0:  # on to the end: a critical successor released by v on the same day
                nxt = -1
                for s, add, typ in succs[v]:
                    if crit[s] and mk[s] == m and mode[s] == _SCHEDULED and tight(v, s, add, typ):
                        nxt = s
                        break
                if nxt < 0:
                    break
                v = nxt
            while v >= 0:
                chain.append(ids[v])
                nxt = -1
                if mode[v] == _SCHEDULED:
                    for p, add, typ in preds[v]:
                        if crit[p] and mk[p] == m and tight(p, v, add, typ):
                            nxt = p
                            break
                v = nxt
            chain.reverse()
            out[self.mergers[m].id] = tuple(chain)
        return out

    def _assemble(
        self, scenario, es, ef, lf, ls, ps, pf, slack, crit, critical_path, drv, gate, national, pin
    ) -> Schedule:
        n, ids, mk, live, mergers, vendor = self.n, self.ids, self.mk, self.live, self.mergers, self.vendor
        dl, rules = self.dl, self.rules
        nm = len(mergers)
        lo = min(min(es), min(ls), min(ps)) if n else 0
        hi = max(max(ef), max(lf), max(pf)) if n else 0
        ords = self.cal.ordinals(lo, hi)
        fromord = date.fromordinal
        days = [fromord(o) for o in ords]
        week_cache: dict[int, str] = {}

        def iso_week(i: int) -> str:
            w = (ords[i - lo] - 1) // 7
            s = week_cache.get(w)
            if s is None:
                s = week_cache[w] = _iso_week(w)
            return s

        def day(i: int) -> date:
            return days[i - lo] if lo <= i <= hi else self.cal.date_of(i)

        # Waves per merger.
        reduced = self.reduced_cutover_graph()
        wave_of: dict[int, int] = {}
        waves: list[WaveResult] = []
        by_merger: list[list[int]] = [[] for _ in range(nm)]
        for v in range(n):
            if live[v]:
                by_merger[mk[v]].append(v)
        for m in range(nm):
            cuts = by_merger[m]
            if not cuts:
                continue
            layers = topological_layers(cuts, ((p, v) for v in cuts for p in reduced[v] if mk[p] == m))
            groups: dict[tuple[int, int], list[int]] = {}
            for depth, layer in enumerate(layers, start=1):
                for v in layer:
                    groups.setdefault((depth, (ords[ef[v] - lo] - 1) // 7), []).append(v)
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
                        week=iso_week(last),
                        milestone_date=days[last - lo],
                        step_ids=tuple(ids[v] for v in members),
                        layer=depth,
                    )
                )

        # Tens of thousands of results: fill each instance's __dict__ in one call rather than through the
        # frozen dataclass __init__. Same object, half the time.
        new, set_attr, get_wave = object.__new__, object.__setattr__, wave_of.get
        results: dict[int, StepResult] = {}
        for v, sid in enumerate(ids):
            finish = days[ef[v] - lo]
            r = new(StepResult)
            set_attr(
                r,
                "__dict__",
                {
                    "id": sid,
                    "early_start": days[es[v] - lo],
                    "early_finish": finish,
                    "late_start": days[ls[v] - lo],
                    "late_finish": days[lf[v] - lo],
                    "total_slack": slack[v],
                    "critical": crit[v],
                    "go_live": finish if live[v] else None,
                    "wave": get_wave(v),
                    "planned_start": days[ps[v] - lo],
                    "planned_finish": days[pf[v] - lo],
                    "placement": self._reasons(v, es, ef, gate, national, pin) if live[v] else (),
                },
            )
            results[sid] = r

        # Vendor load, from the final go-lives; the national run apart.
        load: dict[str, dict[int, list[int]]] = {}
        batch: dict[str, dict[int, int]] = {}
        for v in range(n):
            if live[v] and vendor[v] is not None:
                w = (ords[ef[v] - lo] - 1) // 7
                if national[v]:
                    batch.setdefault(vendor[v], {})[w] = batch.get(vendor[v], {}).get(w, 0) + 1
                load.setdefault(vendor[v], {}).setdefault(w, []).append(v)
        vendor_load = {vd: {_iso_week(w): len(load[vd][w]) for w in sorted(load[vd])} for vd in sorted(load)}
        national_run = {vd: {_iso_week(w): c for w, c in sorted(batch[vd].items())} for vd in sorted(batch)}

        findings: list[Finding] = []
        for v in range(n):
            if rules[v] and gate[v] > dl[v]:
                findings.append(
                    Finding(
                        kind="gate_after_deadline",
                        merger_id=mergers[mk[v]].id,
                        step_ids=(ids[v],),
                        date=day(gate[v]),
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
                        date=day(dl[v]),
                        days=ef[v] - dl[v],
                    )
                )
        caps, cap_week = self._capacity_of()
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
                            week=_iso_week(w),
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
        return Schedule(
            scenario=scenario,
            steps=results,
            findings=tuple(findings),
            waves=tuple(waves),
            critical_path=critical_path,
            vendor_load=vendor_load,
            national_run=national_run,
        )


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: the engine allocates a few hundred thousand small acyclic
    objects, and collections triggered by them would rescan every live object (the whole problem) over
    and over. Reference counting still frees everything; the collector resumes as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def schedule(problem: Problem, scenario: Scenario = Scenario.ACTUAL) -> Schedule:
    """Schedule every merger of ``problem`` under ``scenario`` (see the module docstring)."""
    with _gc_paused():
        return _Engine(problem).run(Scenario(scenario))


def _summarise(sched: Schedule) -> ScenarioSummary:
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


def compare_scenarios(problem: Problem) -> dict[Scenario, ScenarioSummary]:
    """Big bang against rolling merger for the same problem (the graph is prepared once)."""
    with _gc_paused():
        engine = _Engine(problem)
        return {sc: _summarise(engine.run(sc)) for sc in (Scenario.BIG_BANG, Scenario.ROLLING)}
