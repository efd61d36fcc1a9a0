"""The engine's entry points: ``schedule`` one scenario of a problem, ``compare_scenarios`` big bang against
rolling merger. Each prepares the problem once (``engine.prepare``) and runs, per scenario: gates, the
forward pass, placement (not for BIG_BANG), the work's forward pass, the backward pass, the planned dates,
then assembles the ``Schedule`` (``engine.results``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from .model import Problem, Scenario, ScenarioSummary, Schedule
from .passes import backward, forward, planned
from .placement import gates, place
from .prepare import INF, Prepared
from .results import Dates, assemble, summarise


@contextmanager
def _gc_paused() -> Iterator[None]:
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


def _run(pr: Prepared, scenario: Scenario) -> Schedule:
    """Every pass of one scenario over a prepared problem."""
    gate, national = gates(pr, scenario)
    pin = [-INF] * pr.n
    es, ef, drv, relax = forward(pr, gate, national, pin)
    if scenario is not Scenario.BIG_BANG:
        place(pr, es, ef, pin, relax, national)
    _, wef, _, _ = forward(pr, None, None, None)
    lf = backward(pr, es, ef, national, deadline_only=False)
    ps, pf = planned(pr, es, ef, lf)
    return assemble(pr, Dates(scenario, es, ef, lf, wef, ps, pf, drv, gate, national, pin))


def schedule(problem: Problem, scenario: Scenario = Scenario.ACTUAL) -> Schedule:
    """Schedule every merger of ``problem`` under ``scenario`` (see ``engine``)."""
    with _gc_paused():
        return _run(Prepared(problem), Scenario(scenario))


def compare_scenarios(problem: Problem) -> dict[Scenario, ScenarioSummary]:
    """Big bang against rolling merger for the same problem (the graph is prepared once)."""
    with _gc_paused():
        pr = Prepared(problem)
        return {sc: summarise(_run(pr, sc)) for sc in (Scenario.BIG_BANG, Scenario.ROLLING)}
