"""The scenario-independent preparation of a problem: everything the passes read, built once per problem.

``Prepared`` checks the input (unknown ids, statuses, kinds, bindings, directions, plan tags or dependency
types, duplicate ids and negative durations raise ``ValueError``; a cycle raises
``CyclicDependencyError``), numbers the steps by position (sorted by id), converts every date to a
working-day index once, builds the adjacency lists and the topological order, and derives what does not
depend on the scenario: how each step's dates come about (scheduled, fixed by history, running), the
deadlines (see ``engine.passes``), the user work before each go-live and its open go-live days (see
``engine.freezes``). The passes then run over these flat lists; only the caches (pay days, the reduced
cutover graph) change after construction, so one ``Prepared`` serves every scenario.
"""

from __future__ import annotations

from .freezes import OpenDays, open_days, work_spans
from .graph import reduced_cutover_graph, topological_order
from .model import BINDINGS, DIRECTIONS, FINISHED, KINDS, PLAN_TAGS, STATUSES, MergerIn, Problem, StepIn

INF = 1 << 50  # "no deadline"; far beyond any working-day index
HUGE = 1 << 49  # anything at or above is treated as INF
SCHEDULED, FIXED, RUNNING = 0, 1, 2  # dates set by the passes / by history (done, skipped) / a running step
FS, SS, FF = 0, 1, 2  # dependency types
_TYPE = {"FS": FS, "SS": SS, "FF": FF}

#: ``adjacency[v]``: ``(node, add, type)`` per dependency, sorted by node (= by id). ``add`` is the lag,
#: plus one for a finish-to-start dependency on a predecessor that lasts at least a day.
Adjacency = list[list[tuple[int, int, int]]]


def _check_step(s: StepIn) -> None:
    """Raise ``ValueError`` for a step with a value the engine does not know."""
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


class Prepared:
    """A problem in the engine's indexed form (see the module docstring); one per problem, any scenario.

    Per step position ``v``: ``mk`` its merger's position, ``dur`` its duration (0 for done/skipped steps
    without dates), ``mode`` SCHEDULED/FIXED/RUNNING, ``lb`` the earliest start its status and
    ``not_before`` allow, ``es0``/``ef0`` the dates of a FIXED or RUNNING step, ``live`` a cutover that goes
    live, ``rules`` one still to go live (gates, freezes and placement apply), ``dl`` its deadline (INF for
    none), ``prep`` the user work before a go-live, ``opens`` its open go-live days, ``work`` the spans that
    bar its user work, ``todo`` a step still to do.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        cal = self.cal = problem.calendar
        steps = self.steps = sorted(problem.steps, key=lambda s: s.id)
        n = self.n = len(steps)
        self.ids = ids = [s.id for s in steps]
        pos = {sid: k for k, sid in enumerate(ids)}
        if len(pos) != n:
            dup = next(a for a, b in zip(ids, ids[1:], strict=False) if a == b)
            raise ValueError(f"duplicate step id {dup}")

        mergers: list[MergerIn] = sorted(problem.mergers, key=lambda m: m.id)
        self.mergers = mergers
        mpos = {m.id: k for k, m in enumerate(mergers)}
        if len(mpos) != len(mergers):
            raise ValueError("duplicate merger id")
        self.legal = [cal.index_of(m.legal_date) for m in mergers]
        self.status = cal.index_of(problem.status_date)

        own_dl = self._read_steps(mpos)
        self.preds, self.succs = self._read_dependencies(pos)
        self.order = topological_order(ids, self.preds, self.succs)
        self.tpos = [0] * n  # position of each step in the topological order
        for t, v in enumerate(self.order):
            self.tpos[v] = t
        self._reduced: list[list[int]] | None = None
        self.dl = self._deadlines(own_dl)

        # User work per cutover: the working days from the start of its earliest needs_users preparation
        # (reached through alap steps only) to the go-live; the go-live keeps them clear of "work" windows.
        self.prep = [0] * n
        for c in range(n):
            if self.rules[c]:
                self.prep[c] = _user_work_days(self, c)
        self._read_freezes()
        self._paydays: dict[int, int] = {}
        self.todo = [s.status in ("not_started", "in_progress", "blocked") for s in steps]

    def _read_steps(self, mpos: dict[int, int]) -> list[int]:
        """Fill the per-step lists from the steps' status and history; return their own deadlines."""
        index_of = self.cal.index_of
        n, status_idx = self.n, self.status
        mk = self.mk = [0] * n
        dur = self.dur = [0] * n
        mode = self.mode = [SCHEDULED] * n
        lb = self.lb = [status_idx] * n
        es0 = self.es0 = [0] * n
        ef0 = self.ef0 = [0] * n
        live = self.live = [False] * n  # a cutover that goes live (not skipped)
        rules = self.rules = [False] * n  # a cutover still to go live: gate, freezes, placement apply
        own_dl = [INF] * n
        vendor: list[str | None] = [None] * n
        self.vendor = vendor
        self.binding = [""] * n
        self.alap = [False] * n
        self.users = [False] * n
        self.payday = [False] * n
        self.target = [-INF] * n
        for k, s in enumerate(self.steps):
            try:
                mk[k] = mpos[s.merger_id]
            except KeyError:
                raise ValueError(f"step {s.id}: unknown merger {s.merger_id}") from None
            _check_step(s)
            d = s.duration
            st = s.status
            if st in FINISHED:
                if s.actual_start is None and s.actual_finish is None:
                    d = 0
                else:
                    mode[k] = FIXED
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
                mode[k] = RUNNING
                a = index_of(s.actual_start)
                es0[k], ef0[k] = a, max(a + d - 1 if d else a, status_idx)
            if mode[k] == SCHEDULED and s.not_before is not None:
                lb[k] = max(status_idx, index_of(s.not_before))
            dur[k] = d
            vendor[k] = s.vendor
            self.alap[k] = s.direction == "alap"
            self.users[k] = s.needs_users
            self.payday[k] = s.plan_tag == "first_payroll" and d == 0
            own_dl[k] = index_of(s.deadline, previous=True) if s.deadline is not None else INF
            if s.kind == "cutover" and st != "skipped":
                live[k] = True
                self.binding[k] = s.binding or "dispensation"
                if st != "done":
                    rules[k] = True
                    if s.target is not None:
                        self.target[k] = index_of(s.target)
        return own_dl

    def _read_dependencies(self, pos: dict[int, int]) -> tuple[Adjacency, Adjacency]:
        """The predecessor and successor lists (see ``Adjacency``)."""
        n, dur = self.n, self.dur
        preds: Adjacency = [[] for _ in range(n)]
        succs: Adjacency = [[] for _ in range(n)]
        for dep in self.problem.dependencies:
            p = pos.get(dep.predecessor_id)
            s = pos.get(dep.successor_id)
            if p is None or s is None:
                raise ValueError(
                    f"dependency {dep.predecessor_id} → {dep.successor_id} refers to an unknown step"
                )
            typ = _TYPE.get(dep.type)
            if typ is None:
                raise ValueError(f"dependency {dep.predecessor_id} → {dep.successor_id}: type {dep.type!r}")
            add = dep.lag + (1 if typ == FS and dur[p] else 0)
            preds[s].append((p, add, typ))
            succs[p].append((s, add, typ))
        for lst in preds:
            if len(lst) > 1:
                lst.sort()
        for lst in succs:
            if len(lst) > 1:
                lst.sort()
        return preds, succs

    def _deadlines(self, own_dl: list[int]) -> list[int]:
        """Cutovers by binding; pre-merger work with no live cutover up- or downstream by the legal date."""
        n, mk, live, preds, succs, steps = self.n, self.mk, self.live, self.preds, self.succs, self.steps
        dl = own_dl[:]
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
        return dl

    def _read_freezes(self) -> None:
        """Open-day arrays per (domain, vendor, user-work days) for the go-lives; "work" spans per step."""
        cal, n, rules, mode = self.cal, self.n, self.rules, self.mode
        combos: dict[tuple[str | None, str | None, int], OpenDays | None] = {}
        self.opens: list[OpenDays | None] = [None] * n
        spans: dict[tuple[str | None, str | None], list[tuple[int, int, str]]] = {}
        self.work: list[list[tuple[int, int, str]] | None] = [None] * n
        for k, s in enumerate(self.steps):
            if rules[k]:
                key = (s.domain, s.vendor, self.prep[k])
                if key not in combos:
                    combos[key] = open_days(cal, *key)
                self.opens[k] = combos[key]
            if self.users[k] and mode[k] == SCHEDULED:
                wk = (s.domain, s.vendor)
                if wk not in spans:
                    spans[wk] = work_spans(cal, s.domain, s.vendor)
                self.work[k] = spans[wk] or None

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

    def reduced_cutover_graph(self) -> list[list[int]]:
        """For each live cutover, the live cutovers that reach it through non-cutover steps only (cached)."""
        if self._reduced is None:
            self._reduced = reduced_cutover_graph(self.order, self.preds, self.live)
        return self._reduced


def _user_work_days(pr: Prepared, c: int) -> int:
    """The longest run of alap preparation from a needs_users step up to cutover ``c`` (working days)."""
    preds, alap, mode, users, dur, rules = pr.preds, pr.alap, pr.mode, pr.users, pr.dur, pr.rules
    seen = {c}
    stack = [c]
    while stack:
        x = stack.pop()
        for p, _, _ in preds[x]:
            if p not in seen and alap[p] and mode[p] == SCHEDULED and not rules[p]:
                seen.add(p)
                stack.append(p)
    dist = {c: 0}
    best = 0
    for x in sorted(seen, key=pr.tpos.__getitem__, reverse=True):
        if x == c:
            continue
        dist[x] = dur[x] + max(dist[s] for s, _, _ in pr.succs[x] if s in dist)
        if users[x] and dist[x] > best:
            best = dist[x]
    return best
