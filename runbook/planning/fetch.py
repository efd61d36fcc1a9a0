"""Loading a scheduling problem for the engine: the rows of a merger's component read in a fixed number of
queries (``values()``) into the engine's frozen dataclasses, and the Danish working calendar with the freeze
windows and expanded calendar rules that apply.

Vendor capacity binds across mergers, so a merger is loaded together with every merger it shares a
capacity-bound vendor with, directly or through others: its *component* (``_component``).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

import engine as eng
from core.clock import today
from engine import calendar as cal_mod
from municipalities.models import DispensationStatus, Merger
from runbook.models import CalendarRule, Dependency, FreezeWindow, Step, StepKind
from runbook.workdays import calendar_years
from systems.models import VendorCapacityPeriod

#: The fields ``schedule_apply`` writes on a step.
RESULT_FIELDS = (
    "planned_start",
    "planned_finish",
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_slack",
    "is_critical",
    "go_live",
    "wave_id",
    "placement",
)


_STEP_VALUES = (
    "id",
    "runbook_id",
    "runbook__merger_id",
    "key",
    "name",
    "kind",
    "status",
    "duration_days",
    "domain__code",
    "assignee_vendor__code",
    "actual_start",
    "actual_finish",
    "post_merger",
    "deadline",
    "not_before",
    "direction",
    "needs_users",
    "plan_tag",
    "target_date",
    "wave__target_date",
    "domain__binding",
    "domain__binding_latest",
    *RESULT_FIELDS,
)


# --- the calendar ---------------------------------------------------------------------------------


def _ns_domain(domain: str | None, merger_id: int) -> str:
    return f"{domain or ''}@{merger_id}"


_FREEZE_VALUES = ("name", "start", "end", "vendor__code", "domain__code", "merger_id", "blocks")


_RULE_VALUES = (
    "name", "kind", "blocks", "vendor__code", "domain__code", "merger_id", "days", "week_from", "week_to",
    "month_from", "day_from", "month_to", "day_to",
)


def rule_rows_expand(rules: Iterable[dict], years: Iterable[int]) -> list[dict]:
    """Recurring ``CalendarRule`` rows (dicts of ``_RULE_VALUES``) as dated freeze rows over ``years``."""
    years = list(years)
    cal = cal_mod.WorkCalendar.danish(years)
    out: list[dict] = []
    for r in rules:
        spec = cal_mod.RuleSpec(
            kind=r["kind"], label=r["name"], blocks=r["blocks"], domain=r.get("domain__code"),
            vendor=r.get("vendor__code"), days=r.get("days") or 3, week_from=r.get("week_from"),
            week_to=r.get("week_to"), month_from=r.get("month_from"), day_from=r.get("day_from"),
            month_to=r.get("month_to"), day_to=r.get("day_to"),
        )
        for w in cal_mod.rule_windows(spec, years, cal):
            out.append({"name": w.label, "start": w.start, "end": w.end, "vendor__code": w.vendor,
                        "domain__code": w.domain, "merger_id": r.get("merger_id"), "blocks": w.blocks})
    return out


def calendar_windows(*, years: Iterable[int], merger_id: int | None = None) -> list[dict]:
    """The dated windows (freeze windows and expanded calendar rules) national or of ``merger_id``, as
    dicts with name, start, end, vendor__code, domain__code, merger_id and blocks, by start date."""
    scope = Q(merger__isnull=True) if merger_id is None else Q(merger__isnull=True) | Q(merger_id=merger_id)
    rows = list(FreezeWindow.objects.filter(scope).values(*_FREEZE_VALUES))
    rules = CalendarRule.objects.filter(scope, is_active=True).values(*_RULE_VALUES)
    rows += rule_rows_expand(rules, years)
    rows.sort(key=lambda r: (r["start"], r["end"], r["name"]))
    return rows


def calendar_build(
    *, years: Iterable[int], freezes: Iterable[dict], namespaced: dict[int, set[str | None]] | None = None
) -> cal_mod.WorkCalendar:
    """The Danish working-day calendar of ``years`` with the freeze windows of ``freezes``.

    ``freezes`` are rows of ``FreezeWindow`` as dicts with ``name``, ``start``, ``end``, ``vendor__code``,
    ``domain__code``, ``merger_id`` and ``blocks`` (expanded calendar rules too, see ``rule_rows_expand``):
    national (neither), per vendor, per domain, or for one merger.
    The engine's calendar has no notion of a merger, so the steps of a merger that has windows of its own
    carry a *namespaced* domain code (``"payroll@12"``, see ``graph_load``); ``namespaced`` maps such a
    merger to the domain codes its steps use, and the windows are expanded onto those codes: a merger's
    window to every (or its one) domain of that merger, a domain window also to that domain's namespaced
    code.
    """
    namespaced = namespaced or {}
    windows: list[cal_mod.FreezeWindow] = []
    for row in freezes:
        vendor = row.get("vendor__code")
        domain = row.get("domain__code")
        merger_id = row.get("merger_id")
        base = {"start": row["start"], "end": row["end"], "label": row["name"], "vendor": vendor,
                "blocks": row.get("blocks") or cal_mod.GO_LIVE}
        if merger_id is None:
            windows.append(cal_mod.FreezeWindow(domain=domain, **base))
            if domain is not None:
                for m, codes in namespaced.items():
                    if domain in codes:
                        windows.append(cal_mod.FreezeWindow(domain=_ns_domain(domain, m), **base))
            continue
        codes = namespaced.get(merger_id)
        if not codes:
            continue  # the merger is not in this problem (or has no cutovers)
        for code in sorted(codes, key=lambda c: c or ""):
            if domain is None or domain == code:
                windows.append(cal_mod.FreezeWindow(domain=_ns_domain(code, merger_id), **base))
    return cal_mod.WorkCalendar.danish(years, windows)


# --- loading --------------------------------------------------------------------------------------


@dataclass
class Graph:
    """A component of mergers loaded for the engine, with the rows' current results for comparison."""

    problem: eng.Problem
    merger_ids: tuple[int, ...]
    runbook_of: dict[int, int]  # merger id -> runbook id
    rows: dict[int, dict]  # step id -> the step's values (current results included)
    vendor_names: dict[str, str] = field(default_factory=dict)

    _by_merger: dict[int, tuple[list, list]] | None = None

    def sub_problem(self, merger_id: int) -> eng.Problem:
        """The problem restricted to one merger (for its own big-bang versus rolling comparison)."""
        if self._by_merger is None:
            grouped: dict[int, tuple[list, list]] = {m: ([], []) for m in self.merger_ids}
            merger_of = {}
            for s in self.problem.steps:
                grouped[s.merger_id][0].append(s)
                merger_of[s.id] = s.merger_id
            for d in self.problem.dependencies:
                grouped[merger_of[d.successor_id]][1].append(d)
            self._by_merger = grouped
        steps, deps = self._by_merger[merger_id]
        return eng.Problem(
            status_date=self.problem.status_date,
            mergers=tuple(m for m in self.problem.mergers if m.id == merger_id),
            steps=tuple(steps),
            dependencies=tuple(deps),
            calendar=self.problem.calendar,
            capacities=self.problem.capacities,
        )


def _component(merger_id: int, pairs: Iterable[tuple[int, str]]) -> set[int]:
    """Mergers connected to ``merger_id`` through shared capacity-bound vendors (union by BFS)."""
    by_vendor: dict[str, set[int]] = defaultdict(set)
    by_merger: dict[int, set[str]] = defaultdict(set)
    for m, v in pairs:
        by_vendor[v].add(m)
        by_merger[m].add(v)
    seen = {merger_id}
    todo = [merger_id]
    while todo:
        m = todo.pop()
        for v in by_merger.get(m, ()):
            for other in by_vendor[v]:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
    return seen


def graph_load(
    merger_id: int | None = None, *, status_date: dt.date | None = None, only: Iterable[int] | None = None
) -> Graph:
    """Load the scheduling problem of ``merger_id``'s component (of every merger when None; of the mergers
    ``only`` names, within that, when given) in 7 queries:

    1. the (merger, vendor) pairs of cutovers by capacity-bound vendors, with the capacities
    2. the mergers of the component, with their runbooks
    3. their steps, with domain (and its legal binding), vendor and wave target
    4. their dependencies
    5. the freeze windows that may apply (national, vendor, domain, and the component's own)
    6. the active calendar rules that may apply (expanded into dated windows over the calendar's years)
    7. the vendors' capacity periods
    """
    pairs = list(
        Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor__weekly_cutover_capacity__isnull=False)
        .values_list(
            "runbook__merger_id",
            "assignee_vendor__code",
            "assignee_vendor__name",
            "assignee_vendor__weekly_cutover_capacity",
        )
        .distinct()
    )
    capacities = {code: cap for _, code, _, cap in pairs}
    vendor_names = {code: name for _, code, name, _ in pairs}
    mergers_qs = Merger.objects.filter(runbook__isnull=False)
    component: set[int] | None = None
    if merger_id is not None:
        component = _component(merger_id, ((m, v) for m, v, _, _ in pairs))
    if only is not None:
        component = set(only) if component is None else component & set(only)
    if component is not None:
        mergers_qs = mergers_qs.filter(pk__in=component)
    merger_rows = list(
        mergers_qs.order_by("pk").values(
            "id", "legal_date", "dispensation_status", "dispensation_date", "runbook__id"
        )
    )
    runbook_of = {r["id"]: r["runbook__id"] for r in merger_rows}
    runbook_ids = list(runbook_of.values())
    step_qs = Step.objects.all() if component is None else Step.objects.filter(runbook_id__in=runbook_ids)
    rows = {r["id"]: r for r in step_qs.values(*_STEP_VALUES)}
    dep_qs = Dependency.objects.all() if component is None else Dependency.objects.filter(runbook_id__in=runbook_ids)
    deps = tuple(
        eng.DependencyIn(p, s, lag, typ)
        for p, s, lag, typ in dep_qs.values_list("predecessor_id", "successor_id", "lag_days", "type")
    )
    scope_q = Q(merger__isnull=True)
    if component is None:
        scope_q |= Q(merger__isnull=False)
    else:
        scope_q |= Q(merger_id__in=list(runbook_of))
    freezes = list(FreezeWindow.objects.filter(scope_q).values(*_FREEZE_VALUES))
    rules = list(CalendarRule.objects.filter(scope_q, is_active=True).values(*_RULE_VALUES))
    periods = tuple(
        eng.CapacityPeriod(vendor=v, start=a, end=b, capacity=c)
        for v, a, b, c in VendorCapacityPeriod.objects.values_list("vendor__code", "start", "end", "capacity")
        if v in capacities
    )

    status_date = status_date or today()
    own_windows = {f["merger_id"] for f in (*freezes, *rules) if f["merger_id"] is not None}
    namespaced: dict[int, set[str | None]] = {m: set() for m in own_windows if m in runbook_of}
    steps: list[eng.StepIn] = []
    for r in rows.values():
        m = r["runbook__merger_id"]
        domain = r["domain__code"]
        cut = r["kind"] == StepKind.CUTOVER
        if m in namespaced:
            if cut or r["needs_users"]:
                namespaced[m].add(domain)
            domain = _ns_domain(domain, m)
        binding = r["domain__binding"] if cut else None
        deadline = r["deadline"]
        if binding == "may_follow" and r["domain__binding_latest"] is not None:
            deadline = min(deadline or r["domain__binding_latest"], r["domain__binding_latest"])
        steps.append(
            eng.StepIn(
                id=r["id"],
                merger_id=m,
                duration=0 if r["kind"] == StepKind.MILESTONE else r["duration_days"],
                kind=r["kind"],
                status=r["status"],
                domain=domain,
                vendor=r["assignee_vendor__code"],
                actual_start=r["actual_start"],
                actual_finish=r["actual_finish"],
                post_merger=r["post_merger"],
                deadline=deadline,
                not_before=r["not_before"],
                binding=binding or (None if not cut or r["domain__code"] is None else "dispensation"),
                direction=r["direction"],
                target=(r["target_date"] or r["wave__target_date"]) if cut else None,
                needs_users=r["needs_users"],
                plan_tag=r["plan_tag"],
            )
        )
    mergers = tuple(
        eng.MergerIn(
            id=r["id"],
            legal_date=r["legal_date"],
            dispensation_date=r["dispensation_date"],
            dispensation_granted=r["dispensation_status"] == DispensationStatus.GRANTED,
        )
        for r in merger_rows
    )
    earliest_actual = min((r["actual_start"] for r in rows.values() if r["actual_start"]), default=None)
    dates = [status_date, earliest_actual, *(m.legal_date for m in mergers)]
    years = calendar_years(dates)
    freezes += rule_rows_expand(rules, years)
    calendar = calendar_build(years=years, freezes=freezes, namespaced=namespaced)
    used_vendors = {s.vendor for s in steps if s.kind == StepKind.CUTOVER}
    problem = eng.Problem(
        status_date=status_date,
        mergers=mergers,
        steps=tuple(steps),
        dependencies=deps,
        calendar=calendar,
        capacities={v: c for v, c in capacities.items() if v in used_vendors},
        capacity_periods=periods,
    )
    return Graph(
        problem=problem,
        merger_ids=tuple(runbook_of),
        runbook_of=runbook_of,
        rows=rows,
        vendor_names=vendor_names,
    )


def _component_ids(merger_id: int | None) -> list[int]:
    """The mergers with a runbook scheduled together with ``merger_id`` (every one when None)."""
    qs = Merger.objects.filter(runbook__isnull=False)
    if merger_id is not None:
        pairs = (
            Step.objects.filter(kind=StepKind.CUTOVER, assignee_vendor__weekly_cutover_capacity__isnull=False)
            .values_list("runbook__merger_id", "assignee_vendor__code")
            .distinct()
        )
        qs = qs.filter(pk__in=_component(merger_id, pairs))
    return list(qs.order_by("pk").values_list("pk", flat=True))
