"""The pure planning engine: dates, slack, critical path, waves and vendor load of merger runbooks.

Frozen dataclasses in (``Problem``), frozen dataclasses out (``Schedule``); no Django, no app, only the
standard library and ``holidays``. Same input, same output: every tie is broken by id and no set order
leaks into the result. Callers import this package (``import engine as eng``, ``from engine import …``);
the working calendar and the plan check are its modules ``engine.calendar`` and ``engine.plancheck``.

Time
    All arithmetic runs on working-day indices of the problem's ``WorkCalendar`` (see engine.calendar);
    dates are converted once on the way in and once on the way out. A step of duration d ≥ 1 that starts
    on working day s occupies s … s+d−1, so its finish is its *last* working day. A milestone (d = 0)
    starts and finishes on the day it happens. Dates that fall on a non-working day are read as the next
    working day (starts, gates, targets, ``not_before``, ``status_date``) or the previous one (finishes,
    deadlines).

The seams, each module the precise statement of its rules
    model       the dataclasses in and out, ``Scenario``, ``CyclicDependencyError``
    calendar    the working-day calendar, freeze windows and recurring rules
    graph       topological layers and order, cycle detection, the reduced cutover graph
    prepare     the scenario-independent preparation: input checks, indices, deadlines
    freezes     open go-live days and the spans that bar the users' work
    passes      dependencies, status and the passes of dates: early, late, planned, the work's own
    placement   go-live windows (``go_live_window``), the national run, capacity and spreading go-lives
    results     slack, critical path, placement reasons, waves, vendor load, findings, the summary
    scheduler   ``schedule`` and ``compare_scenarios``: the passes of a scenario in order
    plancheck   reads a schedule against the domain's expectations (what a chief would not sign)
    bench       national-size benchmark problems on the reform's merger sizes (``bench_schedule``)

Only a dependency cycle raises (``CyclicDependencyError``); malformed input (unknown ids, statuses,
kinds, bindings, directions or dependency types, duplicate step ids, negative durations) raises
``ValueError``; infeasibility is a finding (``Schedule.findings``), never an error.

Speed
    One topological order (Kahn) per problem; the passes run over flat lists indexed by step position,
    placement by incremental forward propagation from each moved cutover only; dates are built once per
    distinct day. ``compare_scenarios`` prepares the graph once.
"""

from .graph import topological_layers
from .model import (
    BINDINGS,
    DEPENDENCY_TYPES,
    DIRECTIONS,
    FINDING_KINDS,
    FINISHED,
    KINDS,
    PLAN_TAGS,
    STATUSES,
    CapacityPeriod,
    CyclicDependencyError,
    DependencyIn,
    Finding,
    MergerIn,
    Problem,
    Scenario,
    ScenarioSummary,
    Schedule,
    StepIn,
    StepResult,
    WaveResult,
)
from .placement import go_live_window
from .scheduler import compare_scenarios, schedule

__all__ = [
    "BINDINGS",
    "DEPENDENCY_TYPES",
    "DIRECTIONS",
    "FINDING_KINDS",
    "FINISHED",
    "KINDS",
    "PLAN_TAGS",
    "STATUSES",
    "CapacityPeriod",
    "CyclicDependencyError",
    "DependencyIn",
    "Finding",
    "MergerIn",
    "Problem",
    "Scenario",
    "ScenarioSummary",
    "Schedule",
    "StepIn",
    "StepResult",
    "WaveResult",
    "compare_scenarios",
    "go_live_window",
    "schedule",
    "topological_layers",
]
