"""Services of the plan: load a merger's graph, run the pure engine, write the schedule back; baselines;
recompute requests that collapse bursts.

Shape
    ``graph_load`` reads everything the engine needs in five queries whatever the size (``values()`` into
    the engine's frozen dataclasses); ``runbook.scheduling`` computes; ``schedule_apply`` writes only the
    rows whose results changed, with bulk updates, and records an Event only for a step whose planned
    dates moved. Vendor capacity binds across mergers, so a merger is always scheduled together with every
    merger it shares a capacity-bound vendor with, directly or through others (its *component*); the
    results of the whole component are written, because a change in one merger can move another's
    cutovers to another week.

Burst collapsing (``recompute_enqueue`` → task ``runbook.merger_recompute`` → ``recompute_run``)
    1. Per transaction: code may call ``plan_changed`` many times in one atomic block; only the first call
       per merger registers an on-commit hook (the hooks already registered on the connection are
       inspected, so a rolled-back savepoint or transaction takes its registration with it and a rolled
       back change enqueues nothing). This only saves enqueues; correctness rests on 2–4.
    2. On commit, the hook bumps ``ScheduleRequest.requested`` for the merger (a counter in the database,
       shared by web processes and workers) and enqueues the task with a short countdown
       (``MERGEPLAN_RECOMPUTE_COUNTDOWN`` seconds, default 2), passing the new counter value.
    3. The task reads the counters first. If ``completed`` has already reached the value the task was
       enqueued for, a run that started later has covered the change: the task exits at once. A burst
       of N committed changes within the countdown therefore costs one schedule computation, and the
       other N − 1 tasks are no-ops.
    4. A run notes every merger's ``requested`` *before* it loads the graph and, after writing, raises
       ``completed`` to those noted values (never lowers it) for every merger of the component. A change
       committed after the note has a higher ``requested`` and its own queued task, which then runs; a
       change committed before the note is visible to the load (the counter is bumped only after the
       change committed). So no change is ever lost, and no change is computed twice without need.
    5. Two workers: the write phase locks the component's ``ScheduleRequest`` rows (merger-id order, so no
       deadlock) and first checks that no run has raised ``completed`` beyond what this run noted. If one
       has, it loaded later and its results are fresher: this run writes nothing (stale results never
       overwrite fresh ones).
    The nightly ``recompute_all`` bumps every merger and computes the whole country once.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mergeplan.clock import today
from mergeplan.exceptions import ApplicationError, PermissionDeniedError
from municipalities.models import DispensationStatus, Merger
from systems.models import VendorCapacityPeriod

from . import calendar as cal_mod
from . import plancheck
from . import scheduling as eng
from .events import event_record, events_bulk_record
from .models import (
    Baseline,
    BaselineEntry,
    CalendarRule,
    Dependency,
    Event,
    FreezeWindow,
    Runbook,
    ScheduleRequest,
    Step,
    StepKind,
    Wave,
)

logger = logging.getLogger(__name__)

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


# --- the calendar -----------------------------------------------------------------------------------


def calendar_years(dates: Iterable[dt.date | None]) -> range:
    """The years a calendar must know: two before the earliest date given to three after the latest."""
    years = [d.year for d in dates if d is not None] or [today().year]
    return range(min(years) - 2, max(years) + 4)


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


def graph_load(merger_id: int | None = None, *, status_date: dt.date | None = None) -> Graph:
    """Load the scheduling problem of ``merger_id``'s component (of every merger when None) in 7 queries:

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


# --- JSON shapes for the pages and the API ------------------------------------------------------------


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _finding_fields(finding: eng.Finding | plancheck.CheckFinding, graph: Graph) -> dict:
    """What engine findings and plan-check findings share, with the step keys and the vendor's name."""
    rows = graph.rows
    return {
        "kind": finding.kind,
        "step_ids": list(finding.step_ids),
        "step_keys": [rows[i]["key"] for i in finding.step_ids if i in rows],
        "date": _iso(finding.date),
        "days": finding.days,
        "vendor": finding.vendor,
        "vendor_name": graph.vendor_names.get(finding.vendor or "", finding.vendor),
        "week": finding.week,
    }


def finding_dict(finding: eng.Finding, graph: Graph) -> dict:
    """An engine finding as a JSON-able dict, for the messages of the pages and the API."""
    return {
        **_finding_fields(finding, graph),
        "merger_id": finding.merger_id,
        "count": finding.count,
        "capacity": finding.capacity,
    }


def check_dict(finding: plancheck.CheckFinding, graph: Graph) -> dict:
    """A plan-check finding as a JSON-able dict (see ``runbook.plancheck``)."""
    return {**_finding_fields(finding, graph), "label": finding.label}


def _summary_dict(summary: eng.ScenarioSummary, graph: Graph) -> dict:
    findings = [finding_dict(f, graph) for f in summary.findings]
    return {
        "scenario": str(summary.scenario),
        "first_go_live": _iso(summary.first_go_live),
        "last_go_live": _iso(summary.last_go_live),
        "min_slack": summary.min_slack,
        "total_slack": summary.total_slack,
        "critical_count": summary.critical_count,
        "vendor_load": {v: dict(w) for v, w in summary.vendor_load.items()},
        "national_run": {v: dict(w) for v, w in summary.national_run.items()},
        "vendor_peak": dict(summary.vendor_peak),
        "feasible": not summary.findings,
        "findings_count": len(findings),
        "findings": findings[:50],
    }


def scenarios_compare(graph: Graph, merger_id: int) -> dict:
    """Big bang against rolling for one merger on its own (its steps, its gate, the vendors' capacities)."""
    compared = eng.compare_scenarios(graph.sub_problem(merger_id))
    return {str(sc): _summary_dict(s, graph) for sc, s in compared.items()}


# --- applying ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    """What a schedule run did: which mergers it covered and what it wrote."""

    merger_ids: tuple[int, ...]
    steps_total: int
    steps_changed: int
    events: int
    waves_created: int
    waves_deleted: int
    findings: int
    feasible: bool
    seconds_engine: float
    seconds_total: float
    skipped: bool = False


_EMPTY = ApplyResult((), 0, 0, 0, 0, 0, 0, True, 0.0, 0.0, skipped=True)


def _wave_name(number: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Wave %(number)d") % {"number": number}


def _write_waves(graph: Graph, sched: eng.Schedule) -> tuple[dict[int, int], int, int]:
    """Create, update and delete Wave rows per runbook by number; returns step id -> wave id."""
    wanted: dict[tuple[int, int], eng.WaveResult] = {
        (graph.runbook_of[w.merger_id], w.number): w for w in sched.waves if w.merger_id in graph.runbook_of
    }
    existing = {
        (w.runbook_id, w.number): w for w in Wave.objects.filter(runbook_id__in=list(graph.runbook_of.values()))
    }
    create = [
        Wave(runbook_id=rb, number=n, name=_wave_name(n), milestone_date=w.milestone_date)
        for (rb, n), w in sorted(wanted.items())
        if (rb, n) not in existing
    ]
    update = []
    for key, row in existing.items():
        w = wanted.get(key)
        if w is not None and row.milestone_date != w.milestone_date:
            row.milestone_date = w.milestone_date
            update.append(row)
    obsolete = [row.pk for key, row in existing.items() if key not in wanted]
    if create:
        Wave.objects.bulk_create(create)
        for row in create:
            existing[(row.runbook_id, row.number)] = row
    if update:
        Wave.objects.bulk_update(update, ["milestone_date"], batch_size=500)
    if obsolete:
        Wave.objects.filter(pk__in=obsolete).delete()
    step_wave: dict[int, int] = {}
    for key, w in wanted.items():
        wave_id = existing[key].pk
        for sid in w.step_ids:
            step_wave[sid] = wave_id
    return step_wave, len(create), len(obsolete)


def _merger_summary(
    graph: Graph, sched: eng.Schedule, merger_id: int, status_date: dt.date, own: list[eng.StepResult]
) -> dict:
    rows = graph.rows
    go_lives = [r.go_live for r in own if r.go_live is not None]
    own_load: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in own:
        vendor = rows[r.id]["assignee_vendor__code"]
        if r.go_live is not None and vendor:
            iso = r.go_live.isocalendar()
            week = f"{iso[0]}-W{iso[1]:02d}"
            own_load[vendor][week] += 1
    vendor_load = {
        v: {
            wk: {"own": n, "total": sched.vendor_load.get(v, {}).get(wk, n), "capacity": graph.problem.capacities.get(v)}
            for wk, n in sorted(weeks.items())
        }
        for v, weeks in sorted(own_load.items())
    }
    waves = [
        {
            "number": w.number,
            "name": _wave_name(w.number),
            "milestone_date": _iso(w.milestone_date),
            "week": w.week,
            "layer": w.layer,
            "step_ids": list(w.step_ids),
        }
        for w in sched.waves
        if w.merger_id == merger_id
    ]
    return {
        "status_date": status_date.isoformat(),
        "critical_path": list(sched.critical_path.get(merger_id, ())),
        "waves": waves,
        "min_slack": min((r.total_slack for r in own), default=0),
        "first_go_live": _iso(min(go_lives, default=None)),
        "last_go_live": _iso(max(go_lives, default=None)),
        "vendor_load": vendor_load,
        "vendor_names": {v: graph.vendor_names.get(v, v) for v in vendor_load},
        "component": list(graph.merger_ids) if len(graph.merger_ids) <= 100 else len(graph.merger_ids),
    }


def _findings_by_merger(graph: Graph, sched: eng.Schedule) -> dict[int, list[dict]]:
    """Each merger's findings; a vendor's overload shared by several mergers goes to each of them."""
    rows = graph.rows
    out: dict[int, list[dict]] = defaultdict(list)
    for f in sched.findings:
        if f.merger_id is not None:
            out[f.merger_id].append(finding_dict(f, graph))
            continue
        as_dict = finding_dict(f, graph)
        for m in sorted({rows[i]["runbook__merger_id"] for i in f.step_ids if i in rows}):
            out[m].append(as_dict)
    return out


def _requested_counters() -> dict[int, tuple[int, int]]:
    return {m: (r, c) for m, r, c in ScheduleRequest.objects.values_list("merger_id", "requested", "completed")}


def _apply(graph: Graph, *, compare_for: Iterable[int] | None, noted: dict[int, tuple[int, int]]) -> ApplyResult:
    t0 = time.perf_counter()
    if not graph.merger_ids:
        return _EMPTY
    status_date = graph.problem.status_date
    try:
        sched = eng.schedule(graph.problem, eng.Scenario.ACTUAL)
    except eng.CyclicDependencyError as exc:
        return _record_cycle(graph, exc, t0)
    compare_ids = set(graph.merger_ids if compare_for is None else compare_for) & set(graph.merger_ids)
    comparisons = {m: scenarios_compare(graph, m) for m in sorted(compare_ids)}
    t_engine = time.perf_counter() - t0

    with transaction.atomic():
        # serialise concurrent runs on overlapping components (merger-id order: no deadlock)
        _ensure_requests(graph.merger_ids)
        completed_now = dict(
            ScheduleRequest.objects.select_for_update()
            .filter(merger_id__in=list(graph.merger_ids))
            .order_by("merger_id")
            .values_list("merger_id", "completed")
        )
        if any(completed_now.get(m, 0) > noted.get(m, (0, 0))[0] for m in graph.merger_ids):
            # a run that loaded later (after more changes) has written meanwhile: ours is stale
            return ApplyResult(graph.merger_ids, len(graph.rows), 0, 0, 0, 0, 0, sched.feasible, t_engine,
                               time.perf_counter() - t0, skipped=True)
        step_wave, waves_created, waves_deleted = _write_waves(graph, sched)
        changed: list[tuple] = []
        events: list[Event] = []
        ct = ContentType.objects.get_for_model(Step)
        for sid in sorted(sched.steps):
            res = sched.steps[sid]
            row = graph.rows[sid]
            new = {
                "planned_start": res.planned_start,
                "planned_finish": res.planned_finish,
                "early_start": res.early_start,
                "early_finish": res.early_finish,
                "late_start": res.late_start,
                "late_finish": res.late_finish,
                "total_slack": res.total_slack,
                "is_critical": res.critical,
                "go_live": res.go_live,
                "wave_id": step_wave.get(sid),
                "placement": list(res.placement),
            }
            if all(row[f] == new[f] for f in RESULT_FIELDS):
                continue
            changed.append((*(_db_value(f, new[f]) for f in RESULT_FIELDS), sid))
            moves = {
                f: [_iso(row[f]), _iso(new[f])]
                for f in ("planned_start", "planned_finish")
                if row[f] is not None and row[f] != new[f]
            }
            if moves:
                events.append(
                    Event(
                        actor=None,
                        verb="step_rescheduled",
                        content_type=ct,
                        object_id=sid,
                        object_repr=row["name"][:250],
                        merger_id=row["runbook__merger_id"],
                        changes=moves,
                    )
                )
        if changed:
            _steps_write(changed)
        if events:
            events_bulk_record(events)
        now = timezone.now()
        results_by_merger: dict[int, list[eng.StepResult]] = defaultdict(list)
        for res in sched.steps.values():
            results_by_merger[graph.rows[res.id]["runbook__merger_id"]].append(res)
        findings_of = _findings_by_merger(graph, sched)
        checks_of = plancheck.plan_check(graph.problem, sched)
        runbooks = []
        for m in graph.merger_ids:
            rb = Runbook(id=graph.runbook_of[m], scheduled_at=now)
            rb.schedule_findings = findings_of.get(m, [])
            rb.plan_check = [check_dict(c, graph) for c in checks_of.get(m, [])]
            summary = _merger_summary(graph, sched, m, status_date, results_by_merger.get(m, []))
            summary["feasible"] = not rb.schedule_findings
            rb.schedule_summary = summary
            runbooks.append(rb)
        fields = ["scheduled_at", "schedule_findings", "schedule_summary", "plan_check"]
        old: dict[int, dict] = {}
        if len(comparisons) < len(graph.merger_ids):
            # keep the stored comparison of the mergers not compared now (it depends on their own data only)
            others = [graph.runbook_of[m] for m in graph.merger_ids if m not in comparisons]
            old = dict(Runbook.objects.filter(pk__in=others).values_list("pk", "schedule_summary"))
        for m, rb in zip(graph.merger_ids, runbooks, strict=True):
            if m in comparisons:
                rb.schedule_summary["scenarios"] = comparisons[m]
            else:
                rb.schedule_summary["scenarios"] = (old.get(rb.pk) or {}).get("scenarios", {})
        Runbook.objects.bulk_update(runbooks, fields, batch_size=200)
        for m in graph.merger_ids:
            requested = noted.get(m, (0, 0))[0]
            if requested > completed_now.get(m, 0):
                ScheduleRequest.objects.filter(merger_id=m, completed__lt=requested).update(
                    completed=requested, completed_at=now
                )
    return ApplyResult(
        merger_ids=graph.merger_ids,
        steps_total=len(graph.rows),
        steps_changed=len(changed),
        events=len(events),
        waves_created=waves_created,
        waves_deleted=waves_deleted,
        findings=len(sched.findings),
        feasible=sched.feasible,
        seconds_engine=t_engine,
        seconds_total=time.perf_counter() - t0,
    )


def _db_value(field_name: str, value):
    """A result value as the raw UPDATE of ``_steps_write`` sends it (JSON fields as JSON text)."""
    return json.dumps(value) if field_name == "placement" else value


def _steps_write(rows: list[tuple]) -> None:
    """Write the result fields of many steps (rows: the values of ``RESULT_FIELDS`` then the id): one
    parameterised UPDATE by primary key, executed in batches (``bulk_update`` builds model instances and
    CASE … WHEN expressions, which costs seconds per ten thousand rows in the ORM alone)."""
    qn = connection.ops.quote_name
    columns = [Step._meta.get_field(f).column for f in RESULT_FIELDS]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(Step._meta.db_table), ", ".join(f"{qn(c)} = %s" for c in columns), qn("id")
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_batch

            execute_batch(cursor.cursor if hasattr(cursor, "cursor") else cursor, sql, rows, page_size=1000)
        else:
            cursor.executemany(sql, rows)


def _record_cycle(graph: Graph, exc: eng.CyclicDependencyError, t0: float) -> ApplyResult:
    """A cycle cannot be scheduled: say so on every runbook of the component, keep the old dates."""
    finding = {
        "kind": "cycle",
        "merger_id": None,
        "step_ids": list(exc.cycle),
        "step_keys": [graph.rows[i]["key"] for i in exc.cycle if i in graph.rows],
    }
    with transaction.atomic():
        for m in graph.merger_ids:
            mine = [i for i in exc.cycle if graph.rows.get(i, {}).get("runbook__merger_id") == m]
            findings = [{**finding, "merger_id": m}] if mine else []
            Runbook.objects.filter(pk=graph.runbook_of[m]).update(
                schedule_findings=findings, scheduled_at=timezone.now()
            )
    return ApplyResult(graph.merger_ids, len(graph.rows), 0, 0, 0, 0, 1, False, 0.0, time.perf_counter() - t0)


def _ensure_requests(merger_ids: Iterable[int]) -> None:
    have = set(ScheduleRequest.objects.filter(merger_id__in=list(merger_ids)).values_list("merger_id", flat=True))
    missing = [ScheduleRequest(merger_id=m) for m in merger_ids if m not in have]
    if missing:
        ScheduleRequest.objects.bulk_create(missing, ignore_conflicts=True)


def schedule_apply(merger: Merger | int, *, status_date: dt.date | None = None) -> ApplyResult:
    """Schedule ``merger`` (with every merger it shares a capacity-bound vendor with) and write it back.

    Writes planned (= early) and late dates, slack, critical flags, go-lives and waves of the steps whose
    results changed (bulk updates), an Event for each step whose planned dates moved (actor None: the
    system), the findings and a summary (critical path, waves, vendor load, big bang versus rolling) on
    each runbook, and ``scheduled_at``. Running it twice in a row writes no Events the second time.
    """
    merger_id = merger if isinstance(merger, int) else merger.pk
    noted = _requested_counters()
    graph = graph_load(merger_id, status_date=status_date)
    if merger_id not in graph.runbook_of:
        return _EMPTY
    return _apply(graph, compare_for=[merger_id], noted=noted)


def schedule_apply_all(*, status_date: dt.date | None = None) -> ApplyResult:
    """Schedule every merger at once (the nightly run: capacity levelled across the whole country)."""
    noted = _requested_counters()
    graph = graph_load(None, status_date=status_date)
    return _apply(graph, compare_for=None, noted=noted)


# --- recompute requests -----------------------------------------------------------------------------

_deferred = threading.local()


@contextlib.contextmanager
def recompute_deferred() -> Iterator[set[int]]:
    """Collect recompute requests instead of enqueuing them (bulk data loads); yields the merger ids."""
    previous = getattr(_deferred, "ids", None)
    _deferred.ids = set()
    try:
        yield _deferred.ids
    finally:
        _deferred.ids = previous


class _RecomputeHook:
    """An on-commit hook that remembers its merger (so a transaction registers one hook per merger)."""

    __slots__ = ("merger_id",)

    def __init__(self, merger_id: int) -> None:
        self.merger_id = merger_id

    def __call__(self) -> None:
        recompute_request(self.merger_id)


def recompute_enqueue(merger_id: int) -> None:
    """Ask for a recompute of the merger after the current transaction commits (once per transaction)."""
    ids = getattr(_deferred, "ids", None)
    if ids is not None:
        ids.add(merger_id)
        return
    if connection.in_atomic_block:
        # Skip when a hook for this merger was registered in this block or an enclosing one that is still
        # open (it commits or rolls back together with this call). Hooks of sibling blocks that have
        # ended are not looked at: the request counter collapses those runs anyway (see above).
        current = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if isinstance(func, _RecomputeHook) and func.merger_id == merger_id and set(sids) <= current:
                return
    transaction.on_commit(_RecomputeHook(merger_id))


def _request_bump(merger_ids: Iterable[int]) -> dict[int, int]:
    """Raise the requested counters (creating rows as needed); returns the new values."""
    ids = list(merger_ids)
    now = timezone.now()
    with transaction.atomic():
        _ensure_requests(ids)
        ScheduleRequest.objects.filter(merger_id__in=ids).update(requested=F("requested") + 1, requested_at=now)
        return dict(ScheduleRequest.objects.filter(merger_id__in=ids).values_list("merger_id", "requested"))


def recompute_request(merger_id: int) -> int:
    """Stamp a new request for the merger and enqueue the recompute task with a short countdown."""
    from .tasks import merger_recompute

    try:
        stamp = _request_bump([merger_id]).get(merger_id, 0)
    except IntegrityError:  # the merger was deleted meanwhile
        return 0
    countdown = float(getattr(settings, "MERGEPLAN_RECOMPUTE_COUNTDOWN", 2.0))
    try:
        merger_recompute.apply_async(args=(merger_id, stamp), countdown=countdown)
    except Exception:  # the broker is away: the change is committed and stamped; the nightly run covers it
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            raise
        logger.exception("could not enqueue the recompute of merger %s", merger_id)
    return stamp


def recompute_run(merger_id: int, requested: int | None = None) -> ApplyResult:
    """Run a queued recompute unless a later run has covered it already (then return a skipped result).

    ``requested`` is the counter value the task was enqueued for; None forces a run.
    """
    if requested is not None:
        row = ScheduleRequest.objects.filter(merger_id=merger_id).values_list("completed", flat=True).first()
        if row is not None and row >= requested:
            return _EMPTY
    if not Merger.objects.filter(pk=merger_id).exists():
        return _EMPTY
    return schedule_apply(merger_id)


def recompute_all() -> ApplyResult:
    """The nightly run: stamp every merger with a runbook, then schedule the whole country at once."""
    ids = list(Runbook.objects.values_list("merger_id", flat=True))
    if ids:
        _request_bump(ids)
    return schedule_apply_all()


# --- baselines ----------------------------------------------------------------------------------------


@transaction.atomic
def baseline_capture(*, runbook: Runbook, name: str, actor=None, check_permission: bool = True) -> Baseline:
    """Freeze the runbook's planned dates under ``name`` (unique per runbook) and record it."""
    from municipalities.permissions import Action, merger_access

    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the baseline a name."), field="name")
    if len(name) > 100:
        raise ApplicationError(_("The name is too long (at most 100 characters)."), field="name")
    if check_permission and actor is not None and not merger_access(actor, runbook.merger_id).allows(
        Action.EDIT_PLAN
    ):
        raise PermissionDeniedError(_("Only the IT chief may capture a baseline."))
    if Baseline.objects.filter(runbook=runbook, name=name).exists():
        raise ApplicationError(_("A baseline with this name exists already."), field="name")
    baseline = Baseline.objects.create(
        runbook=runbook, name=name, captured_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    entries = [
        BaselineEntry(baseline=baseline, step_id=pk, planned_start=s, planned_finish=f)
        for pk, s, f in Step.objects.filter(runbook=runbook).values_list("pk", "planned_start", "planned_finish")
    ]
    BaselineEntry.objects.bulk_create(entries, batch_size=1000)
    event_record(
        actor=actor,
        verb="baseline_captured",
        obj=baseline,
        merger_id=runbook.merger_id,
        message=_("Baseline “%(name)s” with %(n)d steps") % {"name": name, "n": len(entries)},
    )
    return baseline


def baseline_slip(runbook: Runbook, baseline: Baseline | None = None) -> list[dict]:
    """Per step: baseline against planned dates and the slip in working days (positive = later).

    Uses the latest baseline when none is given; an empty list when the runbook has none. Two queries.
    """
    if baseline is None:
        baseline = Baseline.objects.filter(runbook=runbook).order_by("-captured_at", "-pk").first()
        if baseline is None:
            return []
    rows = list(
        BaselineEntry.objects.filter(baseline=baseline)
        .order_by("step__sequence", "step_id")
        .values(
            "step_id",
            "step__key",
            "step__name",
            "step__name_en",
            "step__kind",
            "step__status",
            "planned_start",
            "planned_finish",
            "step__planned_start",
            "step__planned_finish",
        )
    )
    dates = [d for r in rows for d in (r["planned_finish"], r["step__planned_finish"])]
    calendar = cal_mod.WorkCalendar.danish(calendar_years(dates))

    def slip(a: dt.date | None, b: dt.date | None) -> int | None:
        return None if a is None or b is None else calendar.working_days_between(a, b)

    lang = (translation.get_language() or "da")[:2]
    return [
        {
            "step_id": r["step_id"],
            "key": r["step__key"],
            "name": r["step__name_en"] if lang == "en" and r["step__name_en"] else r["step__name"],
            "kind": r["step__kind"],
            "status": r["step__status"],
            "baseline_start": r["planned_start"],
            "baseline_finish": r["planned_finish"],
            "planned_start": r["step__planned_start"],
            "planned_finish": r["step__planned_finish"],
            "start_slip_days": slip(r["planned_start"], r["step__planned_start"]),
            "slip_days": slip(r["planned_finish"], r["step__planned_finish"]),
        }
        for r in rows
    ]
