"""Where go-lives may and do land: the go-live window of a cutover by binding and scenario, the national
conversion run, vendor capacity per week, and the placement that spreads the go-lives.

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
    Any other go-live stays out of the freeze windows and user-work spans of ``engine.freezes``: it moves
    to the next open day, the cutover with it.

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
"""

from __future__ import annotations

import heapq
from datetime import date

from .calendar import WorkCalendar
from .model import BINDINGS, Problem, Scenario
from .passes import Relax, backward
from .prepare import HUGE, INF, SCHEDULED, Prepared


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


def gates(pr: Prepared, scenario: Scenario) -> tuple[list[int], list[bool]]:
    """Per step: the first day its go-live may take (−inf for non-cutovers) and whether it belongs to
    the national run (its window is the single legal day)."""
    n, mk, rules, binding, legal, dl = pr.n, pr.mk, pr.rules, pr.binding, pr.legal, pr.dl
    index_of = pr.cal.index_of
    disp = []
    for m in pr.mergers:
        if scenario is Scenario.BIG_BANG:
            disp.append(index_of(m.legal_date))
        elif scenario is Scenario.ROLLING:
            disp.append(index_of(m.dispensation_date or m.legal_date))
        else:
            granted = m.dispensation_granted and m.dispensation_date
            disp.append(index_of(m.dispensation_date if granted else m.legal_date))
    gate = [-INF] * n
    national = [False] * n
    for v in range(n):
        if not rules[v]:
            continue
        b = binding[v]
        m = mk[v]
        if b == "legal_date" or scenario is Scenario.BIG_BANG:
            g = legal[m]
        elif b == "free":
            g = -INF
        else:
            g = disp[m]
        gate[v] = g
        national[v] = g == legal[m] and dl[v] == legal[m]
    return gate, national


def capacity_of(problem: Problem) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """Default weekly capacity per vendor and the overrides per (vendor, Monday-based week number)."""
    caps = dict(problem.capacities)
    by_week: dict[tuple[str, int], int] = {}
    for p in sorted(problem.capacity_periods, key=lambda p: (p.vendor, p.start, p.end, p.capacity)):
        o = p.start.toordinal()
        w = (o - 1) // 7 if (o - 1) % 7 == 0 else (o - 1) // 7 + 1  # first week starting inside
        while w * 7 + 1 <= p.end.toordinal():
            by_week[p.vendor, w] = p.capacity
            w += 1
    return caps, by_week


class _Weeks:
    """Monday-based week numbers ``(ordinal − 1) // 7`` of working-day indices, from a table of ordinals
    that widens on demand."""

    __slots__ = ("cal", "first", "ords")

    def __init__(self, cal: WorkCalendar, first: int, last: int) -> None:
        self.cal, self.first, self.ords = cal, first, cal.ordinals(first, last)

    def week_of(self, i: int) -> int:
        k = i - self.first
        if k < 0 or k >= len(self.ords):
            lo = min(self.first, i - 260)
            hi = max(self.first + len(self.ords) - 1, i + 260)
            self.ords = self.cal.ordinals(lo, hi)
            self.first = lo
            k = i - lo
        return (self.ords[k] - 1) // 7


def place(
    pr: Prepared, es: list[int], ef: list[int], pin: list[int], relax: Relax, national: list[bool]
) -> None:
    """Place the cutovers still to go live that have a capacity-bound vendor or a target, one at a time
    (see the module docstring): the lowest-load week with room, then closest to the target."""
    n, vendor, target = pr.n, pr.vendor, pr.target
    rules, mode, live = pr.rules, pr.mode, pr.live
    caps, cap_week = capacity_of(pr.problem)
    lev = [
        rules[v] and mode[v] == SCHEDULED and not national[v] and (vendor[v] in caps or target[v] > -INF)
        for v in range(n)
    ]
    if not any(lev):
        return
    cal = pr.cal
    dlf = backward(pr, es, ef, national, deadline_only=True)
    reduced = pr.reduced_cutover_graph()
    opens, succs, order = pr.opens, pr.succs, pr.order
    tpos = pr.tpos

    week_of = _Weeks(cal, min(es) if n else 0, max(ef) + 260).week_of

    load: dict[str, dict[int, int]] = {vd: {} for vd in caps}
    for v in range(n):
        if live[v] and mode[v] != SCHEDULED and vendor[v] in caps and not national[v]:
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
            if mode[v] == SCHEDULED and relax(v):
                for s, _, _ in succs[v]:
                    if not in_queue[s]:
                        in_queue[s] = True
                        heapq.heappush(heap, tpos[s])

    def open_day(c: int, g: int) -> int:
        op = opens[c]
        return op.next_open(g) if op is not None else g

    def place_one(c: int) -> None:
        g0 = ef[c]
        end = dlf[c]
        aim = target[c] if target[c] > -INF else g0
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
                if end >= HUGE and g - g0 > 520:
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
        place_one(c)
        for s in rsuccs[c]:
            indeg[s] -= 1
            if not indeg[s]:
                pending.append(s)
