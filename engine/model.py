"""The engine's data: the frozen dataclasses it takes (``Problem`` and its parts) and gives (``Schedule``,
``ScenarioSummary``), the scenarios, the vocabularies the input is checked against, and the one error it
raises for a plan that cannot exist (``CyclicDependencyError``).

Dates here are calendar dates; the engine converts them to working-day indices on the way in and back on
the way out (see ``engine`` for the rules of time, ``engine.passes`` for status and dependencies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .calendar import WorkCalendar

STATUSES = ("not_started", "in_progress", "blocked", "done", "skipped")
#: The statuses of a step that is over (nothing left to do). The one definition; runbook's StepStatus reads it.
FINISHED = ("done", "skipped")
KINDS = ("task", "milestone", "checkpoint", "cutover")
DEPENDENCY_TYPES = ("FS", "SS", "FF")
BINDINGS = ("legal_date", "dispensation", "free", "may_follow")
DIRECTIONS = ("asap", "alap")
PLAN_TAGS = ("", "training", "rehearsal", "first_payroll", "reconciliation")
FINDING_KINDS = ("deadline_missed", "gate_after_deadline", "capacity_overflow")


class CyclicDependencyError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists it (each step a predecessor of the next)."""

    def __init__(self, cycle: Iterable[int]) -> None:
        self.cycle: tuple[int, ...] = tuple(cycle)
        path = " → ".join(str(i) for i in (*self.cycle, self.cycle[0])) if self.cycle else ""
        super().__init__(f"cycle: {path}")


class Scenario(StrEnum):
    """Which go-live windows apply (``engine.placement``): the mergers' dispensations as they stand, every
    cutover on the legal date, or every dispensation date as if granted."""

    ACTUAL = "actual"
    BIG_BANG = "big_bang"
    ROLLING = "rolling"


@dataclass(frozen=True)
class StepIn:
    """A runbook step to schedule: what it is, where it stands, and what binds it."""

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
    """One dependency between two steps (see ``engine.passes`` for the types and lags)."""

    predecessor_id: int
    successor_id: int
    lag: int = 0  # working days
    type: str = "FS"  # "FS" finish-to-start | "SS" start-to-start | "FF" finish-to-finish


@dataclass(frozen=True)
class MergerIn:
    """A merger: its legal date (the new municipality's first day) and its dispensation, if any."""

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
    """Everything the engine schedules at once: the mergers, their steps and dependencies, the calendar and
    the vendors' weekly capacities (mergers sharing a capacity-bound vendor belong in one problem)."""

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
    """The dates of one step: early, late and planned, its slack, and for a cutover its go-live and wave."""

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
    """Something the plan cannot keep: a missed deadline, a gate after a deadline, an overloaded week."""

    kind: str  # one of FINDING_KINDS, see ``engine.results``
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
    """A wave: the go-lives of one merger in one layer and ISO week (see ``engine.results``)."""

    merger_id: int
    number: int
    week: str
    milestone_date: date
    step_ids: tuple[int, ...]
    layer: int  # 1 = no cutover upstream


@dataclass(frozen=True)
class Schedule:
    """The engine's answer for one scenario: per step results, findings, waves, critical paths, load."""

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
    """The figures of one scenario's schedule that ``compare_scenarios`` shows side by side."""

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
