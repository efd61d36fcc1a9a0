"""The pure scheduling engine: dates, slack, critical path, waves and vendor load of merger runbooks.

Frozen dataclasses in (``Problem``), frozen dataclasses out (``Schedule``); no Django import. Same input,
same output: every tie is broken by id and no set order leaks into the result.

Time
    All arithmetic runs on working-day indices of the problem's ``WorkCalendar`` (see runbook.calendar);
    dates are converted once on the way in and once on the way out. A step of duration d ≥ 1 that starts
    on working day s occupies s … s+d−1, so ``early_finish`` is its *last* working day. A milestone
    (d = 0) starts and finishes on the day it happens. Dates that fall on a non-working day are read as
    the next working day (starts, gates, ``not_before``, ``status_date``) or the previous one (finishes,
    deadlines).

Dependencies (lags in working days; negative lags are leads)
    FS, lag L: the successor starts ≥ pred finish + 1 + L when the predecessor lasts ≥ 1 day, and
    ≥ pred start + L when it is a milestone (a milestone releases its successors that same day).
    SS, lag L: the successor starts ≥ pred start + L.

Forward pass, from ``status_date`` (read as the next working day)
    done / skipped with actual dates: keep them (a missing start or finish is derived from the duration).
    done / skipped without dates: a milestone (duration 0) at its earliest, like a step not started.
    in_progress with ``actual_start``: keeps it; finishes at start + d − 1 but no earlier than status_date;
    dependencies no longer move it. Without ``actual_start`` it is scheduled like a step not started.
    not_started / blocked: start ≥ status_date, ≥ ``not_before`` and ≥ every dependency.

Cutovers (kind "cutover", not done or skipped)
    The go-live is the finish day. It is no earlier than the next working day of the merger's *gate*:
        ACTUAL   dispensation_date if dispensation_granted, else legal_date
        BIG_BANG legal_date
        ROLLING  dispensation_date if there is one (requested or granted), else legal_date
    and never on a day inside a freeze window that applies to the cutover's domain or vendor (it moves to
    the next open day; the whole cutover moves with it). Its deadline is the next working day of the legal
    date (2007-01-01 is a holiday, so the big bang goes live on 2007-01-02), or its own earlier
    ``deadline``; a ``post_merger`` cutover has only its own ``deadline`` (none if it has none). In
    BIG_BANG every cutover is pinned to the legal date this way — it cannot go live earlier, and goes live
    on the legal date unless its predecessors or a freeze make it later.

Vendor capacity (ACTUAL and ROLLING)
    ``capacities[vendor]`` bounds go-lives per ISO week, over all mergers together. The cutovers of such
    vendors that have not started are placed one at a time: among those whose upstream cutovers are all
    placed, the one with least slack to its deadlines first (ties by id), each in the earliest week that
    has room, on its earliest open day in that week, within its window [earliest go-live, latest go-live
    that keeps every deadline downstream]. A move pushes its successors (the forward pass reruns from it
    with the new go-live as a constraint). With no week in the window having room, it stays at its earliest
    and the week overflows. BIG_BANG does not level: the overload shows as capacity_overflow.

Backward pass
    Latest finish = min(own deadline, what every successor allows): latest dates come from the deadlines
    (of cutovers and of everything that leads to them). A step with no deadline at or downstream of it
    gets its merger's project end (the merger's latest early finish) as latest finish, or earlier if a
    successor needs it. Cutovers' latest go-lives step back out of freeze windows.
    total_slack = late_finish − early_finish = late_start − early_start in working days (negative when a
    deadline cannot be met). A step is critical when its slack equals its
    merger's minimum slack and that minimum is ≤ 0 (so: slack 0 when the merger is feasible). The merger's
    critical path starts from its critical step with the latest early finish (ties: smallest id), goes on
    to the end through critical successors it releases that same day, then runs back through critical
    predecessors whose dependency is tight (each time the smallest id), and is listed first → last.

Waves
    Per merger, the cutovers that go live (not skipped) are layered by their dependencies among each
    other (one reaches another through a chain of other steps; ``topological_layers``; layer 1 = no cutover
    upstream) and grouped by (layer, ISO week of go-live). Waves are numbered 1.. by milestone date (the
    latest go-live in the wave), then layer, then smallest id.

Findings — infeasibility is reported, never raised (``Schedule.feasible`` is True when there are none)
    deadline_missed      a step finishes after its deadline. ``step_ids`` is the driving chain first → last
                         (each step's early start was set by the previous one; the chain begins where a
                         status date, not_before, actual date, gate, freeze or capacity move set it),
                         ``date`` the deadline, ``days`` how many working days late.
    gate_after_deadline  a cutover's gate lies after its deadline, so it cannot be met whatever happens
                         (``date`` = the gate, ``days`` = working days between); it replaces deadline_missed
                         for that cutover.
    capacity_overflow    a vendor has more go-lives in an ISO week than its capacity (``vendor``, ``week``,
                         ``count``, ``capacity``; ``step_ids`` = the cutovers that week; ``merger_id`` when
                         they all belong to one merger).
Only a dependency cycle raises (``CyclicDependencyError``); malformed input (unknown ids, statuses,
kinds or dependency types, duplicate step ids, negative durations) raises ``ValueError``.

Speed
    One topological order (Kahn) per problem, forward and backward passes over flat lists indexed by
    step position, levelling by incremental forward propagation from each moved cutover only; dates are
    built once per distinct day. The whole reform (≈30,000 steps, ≈60,000 dependencies, see
    runbook.bench_engine) schedules in well under a second. ``compare_scenarios`` prepares the graph once.
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

from .calendar import WorkCalendar

STATUSES = ("not_started", "in_progress", "blocked", "done", "skipped")
KINDS = ("task", "milestone", "checkpoint", "cutover")
DEPENDENCY_TYPES = ("FS", "SS")
FINDING_KINDS = ("deadline_missed", "gate_after_deadline", "capacity_overflow")

_INF = 1 << 50  # "no deadline"; far beyond any working-day index
_HUGE = 1 << 49  # anything at or above is treated as _INF
_SCHEDULED, _FIXED, _RUNNING = 0, 1, 2


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


@dataclass(frozen=True)
class DependencyIn:
    predecessor_id: int
    successor_id: int
    lag: int = 0  # working days
    type: str = "FS"  # "FS" finish-to-start | "SS" start-to-start


@dataclass(frozen=True)
class MergerIn:
    id: int
    legal_date: date
    dispensation_date: date | None = None  # requested or granted earliest cutover date
    dispensation_granted: bool = False


@dataclass(frozen=True)
class Problem:
    status_date: date  # "today"
    mergers: tuple[MergerIn, ...]
    steps: tuple[StepIn, ...]
    dependencies: tuple[DependencyIn, ...]
    calendar: WorkCalendar
    # vendor code -> max cutovers (go-lives) per ISO week; absent = unlimited
    capacities: Mapping[str, int] = field(default_factory=dict)


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
    vendor_load: Mapping[str, Mapping[str, int]]  # vendor -> ISO week -> go-lives

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


def _iso_week(week_id: int) -> str:
    """ISO week label of the Monday-based week number ``(ordinal - 1) // 7``."""
    year, week, _ = date.fromordinal(week_id * 7 + 1).isocalendar()
    return f"{year}-W{week:02d}"


# --- the engine -----------------------------------------------------------------------------------


class _Engine:
    """The scenario-independent preparation of a problem (graph, indices, freezes), run per scenario."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        cal = self.cal = problem.calendar
        index_of = cal.index_of
        steps = sorted(problem.steps, key=lambda s: s.id)
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
        self.big_bang = [index_of(m.legal_date) for m in mergers]
        self.status = status_idx = index_of(problem.status_date)

        mk = self.mk = [0] * n
        dur = self.dur = [0] * n
        mode = self.mode = [_SCHEDULED] * n
        lb = self.lb = [status_idx] * n
        es0 = self.es0 = [0] * n
        ef0 = self.ef0 = [0] * n
        live = self.live = [False] * n  # a cutover that goes live (not skipped)
        rules = self.rules = [False] * n  # a cutover still to go live: gate, freezes, capacity apply
        dl = self.dl = [_INF] * n
        vendor = self.vendor = [None] * n
        combo_of: list[tuple[str | None, str | None] | None] = [None] * n
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
            own = index_of(s.deadline, previous=True) if s.deadline is not None else _INF
            if s.kind == "cutover" and st != "skipped":
                live[k] = True
                if st != "done":
                    rules[k] = True
                    combo_of[k] = (s.domain, s.vendor)
                dl[k] = own if s.post_merger else min(own, self.big_bang[mk[k]])
            elif st != "skipped":
                dl[k] = own

        # Freeze windows as "next open day" / "previous open day" arrays per (domain, vendor).
        combos: dict[tuple[str | None, str | None], tuple[int, list[int], list[int]] | None] = {}
        self.opens: list[tuple[int, list[int], list[int]] | None] = [None] * n
        for k in range(n):
            key = combo_of[k]
            if key is None:
                continue
            if key not in combos:
                combos[key] = self._open_arrays(*key)
            self.opens[k] = combos[key]

        # Dependencies: preds[v] / succs[p] as (node, add, is_ss), sorted by node (= by id).
        preds: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]
        succs: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]
        for dep in problem.dependencies:
            p = pos.get(dep.predecessor_id)
            s = pos.get(dep.successor_id)
            if p is None or s is None:
                raise ValueError(
                    f"dependency {dep.predecessor_id} → {dep.successor_id} refers to an unknown step"
                )
            if dep.type == "FS":
                add, ss = dep.lag + (1 if dur[p] else 0), False
            elif dep.type == "SS":
                add, ss = dep.lag, True
            else:
                raise ValueError(f"dependency {dep.predecessor_id} → {dep.successor_id}: type {dep.type!r}")
            preds[s].append((p, add, ss))
            succs[p].append((s, add, ss))
        for lst in preds:
            if len(lst) > 1:
                lst.sort()
        for lst in succs:
            if len(lst) > 1:
                lst.sort()
        self.preds, self.succs = preds, succs
        self.order = self._topological_order()
        self._reduced: list[list[int]] | None = None

    def _open_arrays(self, domain: str | None, vendor: str | None) -> tuple[int, list[int], list[int]] | None:
        """(first, next_open, prev_open) over the span of the freezes binding domain/vendor, or None."""
        cal = self.cal
        spans = []
        for w in cal.freezes:
            if w.applies_to(domain, vendor):
                a, b = cal.index_of(w.start), cal.index_of(w.end, previous=True)
                if a <= b:
                    spans.append((a, b))
        if not spans:
            return None
        lo = min(a for a, _ in spans)
        hi = max(b for _, b in spans)
        frozen = bytearray(hi - lo + 1)
        for a, b in spans:
            frozen[a - lo : b - lo + 1] = b"\x01" * (b - a + 1)
        size = hi - lo + 1
        nxt = [0] * size
        prv = [0] * size
        cur = hi + 1
        for k in range(size - 1, -1, -1):
            if not frozen[k]:
                cur = lo + k
            nxt[k] = cur
        cur = lo - 1
        for k in range(size):
            if not frozen[k]:
                cur = lo + k
            prv[k] = cur
        return lo, nxt, prv

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

    def run(self, scenario: Scenario) -> Schedule:
        n = self.n
        mergers = self.mergers
        if scenario is Scenario.BIG_BANG:
            gate_dates = [m.legal_date for m in mergers]
        elif scenario is Scenario.ROLLING:
            gate_dates = [m.dispensation_date or m.legal_date for m in mergers]
        else:
            gate_dates = [
                m.dispensation_date if (m.dispensation_granted and m.dispensation_date) else m.legal_date
                for m in mergers
            ]
        index_of = self.cal.index_of
        gate_m = [index_of(g) for g in gate_dates]
        mk, rules, dur, mode = self.mk, self.rules, self.dur, self.mode
        lb, opens, preds = self.lb, self.opens, self.preds
        gate = [gate_m[mk[v]] if rules[v] else -_INF for v in range(n)]
        pin = [-_INF] * n
        es = self.es0[:]
        ef = self.ef0[:]
        drv = [-1] * n

        def push_go_live(v: int, g: int) -> int:
            if g < gate[v]:
                g = gate[v]
            if g < pin[v]:
                g = pin[v]
            op = opens[v]
            if op is not None:
                k = g - op[0]
                if 0 <= k < len(op[1]):
                    g = op[1][k]
            return g

        for v in range(n):
            if mode[v] == _RUNNING and rules[v]:
                ef[v] = push_go_live(v, ef[v])

        def relax(v: int) -> bool:
            """Recompute a scheduled step's early dates from its predecessors; True if they changed."""
            s = lb[v]
            dv = -1
            for p, add, ss in preds[v]:
                b = (es[p] if ss else ef[p]) + add
                if b > s or (b == s and dv < 0):
                    s = b
                    dv = p
            d = dur[v]
            f = s + d - 1 if d else s
            if rules[v]:
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

        order = self.order
        for v in order:
            if mode[v] == _SCHEDULED:
                relax(v)

        caps = self.problem.capacities
        if scenario is not Scenario.BIG_BANG and caps:
            self._level(es, ef, pin, relax)

        lf = self._backward(es, ef, deadline_only=False)
        return self._result(scenario, es, ef, lf, drv, gate)

    def _backward(self, es: list[int], ef: list[int], *, deadline_only: bool) -> list[int]:
        """Latest finishes. Steps with no deadline downstream get the merger's project end, or _INF when
        ``deadline_only`` (then the result is the latest finish that keeps every deadline downstream)."""
        n, mk, dl, succs, rules, opens = self.n, self.mk, self.dl, self.succs, self.rules, self.opens
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
            for s, add, ss in succs[v]:
                c = ls[s] - add + span if ss else ls[s] - add
                if c < x:
                    x = c
                if bound[s]:
                    b = True
            if b:
                bound[v] = True
            elif x > pe[mk[v]]:
                x = pe[mk[v]]  # no deadline downstream: the project end binds (also past SS successors)
            if rules[v] and x < _HUGE:
                op = opens[v]
                if op is not None:
                    k = x - op[0]
                    if 0 <= k < len(op[2]):
                        x = op[2][k]
            lf[v] = x
            ls[v] = x - span
        return lf

    def _level(self, es: list[int], ef: list[int], pin: list[int], relax) -> None:
        """Place the not-started cutovers of capacity-bound vendors week by week (see the docstring)."""
        n, caps, vendor = self.n, self.problem.capacities, self.vendor
        rules, mode, live = self.rules, self.mode, self.live
        lev = [rules[v] and mode[v] == _SCHEDULED and vendor[v] in caps for v in range(n)]
        if not any(lev):
            return
        cal = self.cal
        dlf = self._backward(es, ef, deadline_only=True)
        reduced = self.reduced_cutover_graph()
        opens, succs, order = self.opens, self.succs, self.order
        tpos = [0] * n
        for t, v in enumerate(order):
            tpos[v] = t

        first = min(es) if n else 0
        ords_first = [first]
        ords = [cal.ordinals(first, max(ef) + 260)]

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
            if live[v] and mode[v] != _SCHEDULED and vendor[v] in caps:
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

        def place(c: int) -> None:
            vd = vendor[c]
            cap = caps[vd]
            vl = load[vd]
            g0 = ef[c]
            g = g0
            found = False
            if cap > 0:
                op = opens[c]
                end = dlf[c]
                while g <= end:
                    w = week_of(g)
                    if vl.get(w, 0) < cap:
                        found = True
                        break
                    g = cal.index_of_ordinal((w + 1) * 7 + 1)
                    if op is not None:
                        k = g - op[0]
                        if 0 <= k < len(op[1]):
                            g = op[1][k]
            if not found:
                g = g0
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

    def _result(
        self, scenario: Scenario, es: list[int], ef: list[int], lf: list[int], drv: list[int], gate: list[int]
    ) -> Schedule:
        n, ids, mk, live, mergers, vendor = self.n, self.ids, self.mk, self.live, self.mergers, self.vendor
        preds, mode, dl, rules = self.preds, self.mode, self.dl, self.rules
        slack = [a - b for a, b in zip(lf, ef, strict=True)]
        ls = [a - b + c for a, b, c in zip(lf, ef, es, strict=True)]
        nm = len(mergers)
        mins = [_INF] * nm
        for m, x in zip(mk, slack, strict=True):
            if x < mins[m]:
                mins[m] = x
        crit = [x <= 0 and x == mins[m] for m, x in zip(mk, slack, strict=True)]

        # Critical path per merger: from the latest-finishing critical step, along tight edges.
        ends: list[int] = [-1] * nm
        for v in [v for v, c in enumerate(crit) if c]:
            e = ends[mk[v]]
            if e < 0 or ef[v] > ef[e]:
                ends[mk[v]] = v
        succs = self.succs
        critical_path: dict[int, tuple[int, ...]] = {}
        for m in range(nm):
            chain: list[int] = []
            v = ends[m]
            while v >= 0:  # on to the end: a critical successor released by v on the same day
                nxt = -1
                for s, add, ss in succs[v]:
                    if (
                        crit[s]
                        and mk[s] == m
                        and mode[s] == _SCHEDULED
                        and (es[v] if ss else ef[v]) + add == es[s]
                    ):
                        nxt = s
                        break
                if nxt < 0:
                    break
                v = nxt
            while v >= 0:
                chain.append(ids[v])
                nxt = -1
                if mode[v] == _SCHEDULED:
                    for p, add, ss in preds[v]:
                        if crit[p] and mk[p] == m and (es[p] if ss else ef[p]) + add == es[v]:
                            nxt = p
                            break
                v = nxt
            chain.reverse()
            critical_path[mergers[m].id] = tuple(chain)

        # Dates: one list over the index range used.
        lo = min(min(es), min(ls)) if n else 0
        hi = max(max(ef), max(lf)) if n else 0
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
        # frozen dataclass __init__ (nine object.__setattr__ calls each). Same object, half the time.
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
                },
            )
            results[sid] = r

        # Vendor load, from the final go-lives.
        load: dict[str, dict[int, list[int]]] = {}
        for v in range(n):
            if live[v] and vendor[v] is not None:
                load.setdefault(vendor[v], {}).setdefault((ords[ef[v] - lo] - 1) // 7, []).append(v)
        vendor_load = {vd: {_iso_week(w): len(load[vd][w]) for w in sorted(load[vd])} for vd in sorted(load)}

        findings: list[Finding] = []
        for v in range(n):
            if rules[v] and gate[v] > dl[v]:
                findings.append(
                    Finding(
                        kind="gate_after_deadline",
                        merger_id=mergers[mk[v]].id,
                        step_ids=(ids[v],),
                        date=days[gate[v] - lo] if lo <= gate[v] <= hi else self.cal.date_of(gate[v]),
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
                        date=days[dl[v] - lo] if lo <= dl[v] <= hi else self.cal.date_of(dl[v]),
                        days=ef[v] - dl[v],
                    )
                )
        caps = self.problem.capacities
        for vd in sorted(load):
            cap = caps.get(vd)
            if cap is None:
                continue
            for w in sorted(load[vd]):
                members = load[vd][w]
                if len(members) > cap:
                    members.sort()
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
    )


def compare_scenarios(problem: Problem) -> dict[Scenario, ScenarioSummary]:
    """Big bang against rolling merger for the same problem (the graph is prepared once)."""
    with _gc_paused():
        engine = _Engine(problem)
        return {sc: _summarise(engine.run(sc)) for sc in (Scenario.BIG_BANG, Scenario.ROLLING)}
