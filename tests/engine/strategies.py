"""Hypothesis strategies for the engine: random DAGs and cyclic graphs, calendars and days, and Problems.

A DAG is built so that it cannot have a cycle and shrinks well: nodes are drawn in a construction order and
every edge goes from a lower to a higher position; ids are distinct but in no particular order, so the
engine's id order and the topological order differ. A cyclic graph is such a DAG plus one back edge from a
node to itself or to one of its ancestors along a walk of the DAG's edges.

Problems take their structure (steps and dependencies) from a DAG and the rest of each step (kind,
status, dates, vendors …) from a ``random.Random`` seeded by hypothesis: drawing hundreds of fields per
example through hypothesis is too slow, and the size and the graph still shrink.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from engine import DependencyIn, MergerIn, Problem, StepIn
from engine.calendar import FreezeWindow, WorkCalendar, month_end_freezes

D = date
LEGAL = D(2007, 1, 1)
BASE_FREEZES = (
    FreezeWindow(D(2006, 12, 22), D(2007, 1, 1), "KMD lukket", vendor="KMD"),
    *month_end_freezes(domain="payroll", start=D(2006, 1, 1), end=D(2007, 12, 31), label="Lønkørsel"),
)
PLAIN = WorkCalendar.danish(range(2005, 2009))
BASE = WorkCalendar.danish(range(2005, 2009), BASE_FREEZES)
VENDORS = ("KMD", "Fujitsu", "Infra")
DOMAINS = ("payroll", "finance", "esdh")


@dataclass(frozen=True)
class Graph:
    """``nodes`` in construction order; ``edges`` (predecessor, successor) by node id."""

    nodes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]


@st.composite
def dags(draw, *, max_nodes: int = 30, max_preds: int = 3) -> Graph:
    """A DAG of 1 … ``max_nodes`` nodes, each with up to ``max_preds`` predecessors placed before it."""
    nodes = tuple(draw(st.lists(st.integers(1, 999), min_size=1, max_size=max_nodes, unique=True)))
    edges = []
    for j in range(1, len(nodes)):
        for i in sorted(draw(st.lists(st.integers(0, j - 1), max_size=max_preds, unique=True))):
            edges.append((nodes[i], nodes[j]))
    return Graph(nodes, tuple(edges))


@st.composite
def cyclic_graphs(draw, *, max_nodes: int = 30) -> tuple[Graph, tuple[int, int]]:
    """A DAG plus a back edge that closes a cycle, and that back edge: from the end of a walk along the
    DAG's edges back to its start (a self-loop when the walk has no edge)."""
    g = draw(dags(max_nodes=max_nodes))
    succ: dict[int, list[int]] = {v: [] for v in g.nodes}
    for p, s in g.edges:
        succ[p].append(s)
    starts = [v for v in g.nodes if succ[v]]
    loop = not starts or draw(st.integers(0, 9)) == 9  # a self-loop now and then
    start = draw(st.sampled_from(g.nodes if loop else starts))
    end = start
    for _ in range(0 if loop else draw(st.integers(1, len(g.nodes)))):
        if not succ[end]:
            break
        end = draw(st.sampled_from(succ[end]))
    back = (end, start)
    return Graph(g.nodes, (*g.edges, back)), back


def calendars() -> st.SearchStrategy[WorkCalendar]:
    """The Danish calendar, or random holidays (weekends and a holiday twice included)."""
    holidays = st.lists(st.dates(D(2005, 1, 1), D(2008, 12, 31)), max_size=60)
    return st.one_of(st.just(PLAIN), holidays.map(lambda hs: WorkCalendar([*hs, *hs[:1]])))


days = st.dates(D(2005, 3, 1), D(2008, 10, 31))


def _random_problem(rng: random.Random, graph: Graph, constrained: bool) -> Problem:
    """A random problem on ``graph`` (steps = nodes, dependencies = edges) in ≤ 3 mergers. With
    ``constrained=False``: one merger, only tasks and milestones after the merger (no deadlines, not even
    the legal date), no history, lags ≥ 0 — nothing binds but the dependencies."""
    status = D(2006, 3, 1) + timedelta(days=rng.randint(0, 280))
    preds_of: dict[int, list[int]] = {v: [] for v in graph.nodes}
    for p, s in graph.edges:
        preds_of[s].append(p)

    def some_date(first: date, last: date) -> date:
        return first + timedelta(days=rng.randint(0, (last - first).days))

    n_mergers = rng.randint(1, 3) if constrained else 1
    mergers = []
    for m in range(1, n_mergers + 1):
        dispensation = (
            some_date(D(2006, 5, 1), D(2007, 1, 15)) if constrained and rng.random() < 0.7 else None
        )
        mergers.append(MergerIn(m, LEGAL, dispensation, dispensation is not None and rng.random() < 0.5))

    steps: list[StepIn] = []
    deps: list[DependencyIn] = []
    for sid in graph.nodes:
        duration = rng.randint(0, 6)
        preds = preds_of[sid]
        for p in preds:
            if constrained:
                deps.append(DependencyIn(p, sid, rng.randint(-2, 4), rng.choice(("FS", "FS", "SS"))))
            else:
                deps.append(DependencyIn(p, sid, rng.randint(0, 4), rng.choice(("FS", "SS"))))
        kw: dict = {} if constrained else {"post_merger": True}
        kind = "milestone" if duration == 0 else "task"
        if constrained:
            kind = rng.choice(("task", "task", "cutover", "cutover", "checkpoint"))
            if kind == "cutover":
                kw.update(
                    vendor=rng.choice(VENDORS), domain=rng.choice(DOMAINS), post_merger=rng.random() < 0.2,
                    binding=rng.choice((None, "legal_date", "dispensation", "free")),
                )
                if rng.random() < 0.2:
                    kw["target"] = some_date(D(2006, 5, 1), D(2007, 1, 31))
            else:
                kw["direction"] = rng.choice(("asap", "alap"))
                kw["needs_users"] = rng.random() < 0.2
            if rng.random() < 0.1:
                kw["deadline"] = some_date(D(2006, 6, 1), D(2007, 3, 31))
            if rng.random() < 0.1:
                kw["not_before"] = some_date(D(2006, 3, 1), D(2006, 12, 31))
            # History only on sources, so that it is consistent with the dependencies.
            status_kind = rng.choice(("not_started",) * 6 + ("blocked", "skipped", "done", "in_progress"))
            if status_kind in ("done", "in_progress") and not preds:
                start = status - timedelta(days=rng.randint(1, 60))
                kw["actual_start"] = start
                if status_kind == "done":
                    kw["actual_finish"] = min(
                        start + timedelta(days=rng.randint(0, 20)), status - timedelta(1)
                    )
                kw["status"] = status_kind
            elif status_kind in ("blocked", "skipped"):
                kw["status"] = status_kind
        steps.append(StepIn(id=sid, merger_id=rng.randint(1, n_mergers), duration=duration, kind=kind, **kw))

    if not constrained:
        return Problem(status, tuple(mergers), tuple(steps), tuple(deps), PLAIN, {})
    extra = [
        FreezeWindow(
            start := some_date(D(2006, 5, 1), D(2007, 1, 31)),
            start + timedelta(days=rng.randint(0, 20)),
            "random",
            rng.choice((None, *DOMAINS)),
            rng.choice((None, *VENDORS)),
            rng.choice(("go_live", "work")),
        )
        for _ in range(rng.randint(0, 2))
    ]
    cal = WorkCalendar.danish(range(2005, 2009), (*BASE_FREEZES, *extra)) if extra else BASE
    capacities = {v: rng.randint(1, 3) for v in ("KMD", "Fujitsu") if rng.random() < 0.6}
    return Problem(status, tuple(mergers), tuple(steps), tuple(deps), cal, capacities)


def problems(*, constrained: bool = True, max_steps: int = 40) -> st.SearchStrategy[Problem]:
    """Random problems of ≤ ``max_steps`` steps on a random DAG (see the module docstring)."""
    return st.builds(
        lambda g, seed: _random_problem(random.Random(seed), g, constrained),
        dags(max_nodes=max_steps),
        st.integers(0, 2**32 - 1),
    )


def cyclic_problems(*, max_steps: int = 30) -> st.SearchStrategy[tuple[Problem, tuple[int, int]]]:
    """A random problem whose dependencies contain a cycle, with the back edge that closes it."""
    return st.builds(
        lambda gb, seed: (_random_problem(random.Random(seed), gb[0], True), gb[1]),
        cyclic_graphs(max_nodes=max_steps),
        st.integers(0, 2**32 - 1),
    )
