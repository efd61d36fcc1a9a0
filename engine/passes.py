"""The passes of dates (critical path method) over a ``Prepared`` problem, in working-day indices.

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

Three passes of dates per scenario
    early (ES/EF)   ``forward``: work, status, gates, placement (``engine.placement``), freezes
                    (``engine.freezes``), pay days.
    late (LS/LF)    ``backward`` from the deadlines: latest finish = min(own deadline, what every
                    successor allows). Every step that is not ``post_merger`` and has no live cutover
                    up- or downstream carries the legal date as deadline (it finishes on the last working
                    day before the legal day); the preparation of a go-live is bound by the go-live. So
                    no pre-merger step's latest date lies after the legal date (unless it prepares a
                    ``may_follow`` go-live).
                    A step with no deadline at or downstream of it gets its merger's project end (the
                    latest early finish) instead. Cutovers' latest go-lives step back out of freezes,
                    ``first_payroll`` steps back to a pay day.
    planned         ``planned``: ``asap`` steps: their early dates. ``alap`` steps (MS Project's "as late as
                    possible"), in reverse topological order: the latest finish that every successor's
                    *planned* start (or finish, for FF) and the step's own late finish allow, never
                    earlier than its early finish; a ``needs_users`` step moves earlier out of windows
                    that block ``work`` (but not before its early finish). So the preparation of a go-live
                    (trial conversion, tests, rehearsal, training) sits just in time before it, and an
                    alap step never delays an asap successor.
    Slack and the critical path measure the *work*: a fourth, plain forward pass (``forward`` without
    gates: dependencies, status, ``not_before``, pay days; no gates, placement or freezes) gives the work's
    earliest finish WF (see ``engine.results``).
"""

from __future__ import annotations

from collections.abc import Callable

from .prepare import FS, HUGE, INF, RUNNING, SCHEDULED, SS, Prepared

#: ``relax(v)``: recompute a scheduled step's early dates from its predecessors; True if they changed.
Relax = Callable[[int], bool]


def start_allowed(typ: int, add: int, duration: int, pred_start: int, pred_finish: int) -> int:
    """The earliest start of a successor lasting ``duration`` days that a predecessor starting and
    finishing on these indices allows through a dependency of type ``typ`` (``add`` as in the graph)."""
    if typ == FS:
        return pred_finish + add
    if typ == SS:
        return pred_start + add
    return pred_finish + add - (duration - 1 if duration else 0)


def finish_allowed(typ: int, add: int, span: int, succ_start: int, succ_finish: int) -> int:
    """The latest finish of a predecessor (lasting ``span`` + 1 days) that a successor starting and
    finishing on these indices allows through a dependency of type ``typ`` (``add`` as in the graph)."""
    if typ == FS:
        return succ_start - add
    if typ == SS:
        return succ_start - add + span
    return succ_finish - add


def forward(
    pr: Prepared, gate: list[int] | None, national: list[bool] | None, pin: list[int] | None
) -> tuple[list[int], list[int], list[int], Relax]:
    """A forward pass. With ``gate`` None: the work alone (no gates, freezes, placement, user-work
    windows). Returns (es, ef, drv, relax): ``drv[v]`` the predecessor that set ``v``'s start (−1 when
    its status, ``not_before``, a pay day, a window, gate or placement did); ``relax`` reruns one step."""
    n, mode, dur, lb, preds, rules = pr.n, pr.mode, pr.dur, pr.lb, pr.preds, pr.rules
    opens, users, work, payday = pr.opens, pr.users, pr.work, pr.payday
    es = pr.es0[:]
    ef = pr.ef0[:]
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
            if mode[v] == RUNNING and rules[v]:
                ef[v] = push_go_live(v, ef[v])

    def relax(v: int) -> bool:
        """Recompute a scheduled step's early dates from its predecessors; True if they changed."""
        s = lb[v]
        dv = -1
        d = dur[v]
        for p, add, typ in preds[v]:
            b = start_allowed(typ, add, d, es[p], ef[p])
            if b > s or (b == s and dv < 0):
                s = b
                dv = p
        if payday[v]:
            p_ = pr.pay_day(s)
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

    for v in pr.order:
        if mode[v] == SCHEDULED:
            relax(v)
    return es, ef, drv, relax


def backward(
    pr: Prepared, es: list[int], ef: list[int], national: list[bool], *, deadline_only: bool
) -> list[int]:
    """Latest finishes. Steps with no deadline downstream get the merger's project end, or INF when
    ``deadline_only`` (then the result is the latest finish that keeps every deadline downstream).
    The national run's go-lives are not moved by freezes."""
    n, mk, dl, succs, rules, opens = pr.n, pr.mk, pr.dl, pr.succs, pr.rules, pr.opens
    payday = pr.payday
    if deadline_only:
        pe = [INF] * len(pr.mergers)
    else:
        pe = [-INF] * len(pr.mergers)
        for v in range(n):
            if ef[v] > pe[mk[v]]:
                pe[mk[v]] = ef[v]
    lf = [0] * n
    ls = [0] * n
    bound = [False] * n  # a deadline lies at or downstream of the step
    for v in reversed(pr.order):
        x = dl[v]
        b = x < HUGE
        span = ef[v] - es[v]
        for s, add, typ in succs[v]:
            c = finish_allowed(typ, add, span, ls[s], lf[s])
            if c < x:
                x = c
            if bound[s]:
                b = True
        if b:
            bound[v] = True
        elif x > pe[mk[v]]:
            x = pe[mk[v]]  # no deadline downstream: the project end binds (also past SS successors)
        if x < HUGE:
            if rules[v] and opens[v] is not None and not national[v]:
                x = opens[v].prev_open(x)
            if payday[v]:
                x = pr.pay_day(x, before=True)
        lf[v] = x
        ls[v] = x - span
    return lf


def planned(pr: Prepared, es: list[int], ef: list[int], lf: list[int]) -> tuple[list[int], list[int]]:
    """Planned dates: early for asap steps; as late as the successors' planned dates allow for alap."""
    alap, mode, rules, succs, users, work = pr.alap, pr.mode, pr.rules, pr.succs, pr.users, pr.work
    ps = es[:]
    pf = ef[:]
    for v in reversed(pr.order):
        if not alap[v] or mode[v] != SCHEDULED or rules[v]:
            continue
        span = ef[v] - es[v]
        x = lf[v] if lf[v] < HUGE else ef[v]
        for s, add, typ in succs[v]:
            c = finish_allowed(typ, add, span, ps[s], pf[s])
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
