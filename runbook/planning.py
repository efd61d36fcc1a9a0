"""Services of the plan: load a merger's graph, run the pure engine, write the schedule back; baselines;
recompute requests that collapse bursts.

Shape
    ``graph_load`` reads everything the engine needs in five queries whatever the size (``values()`` into
    the engine's frozen dataclasses); ``engine.scheduling`` computes; ``schedule_apply`` writes only the
    rows whose results changed, with bulk updates, and records an Event only for a step whose planned
    dates moved. Vendor capacity binds across mergers, so a merger is always scheduled together with every
    merger it shares a capacity-bound vendor with, directly or through others (its *component*); the
    results of the whole component are written, because a change in one merger can move another's
    cutovers to another week.

Burst collapsing (``recompute_enqueue`` → task ``runbook.merger_recompute`` → ``recompute_run``)
    1. Per transaction: code may call ``plan_changed`` many times in one atomic block; only the first call
       per merger bumps the counter and registers an on-commit hook (the hooks already registered on the
       connection are inspected, so a rolled-back savepoint or transaction takes its bump and its
       registration with it and a rolled back change enqueues nothing). This only saves enqueues;
       correctness rests on 2–4.
    2. The outbox: that first call bumps ``ScheduleRequest.requested`` (and ``requested_at``) for the
       merger *inside* the writing transaction (a counter in the database, shared by web processes and
       workers), so the change and the intent to replan commit together or not at all. On commit, the
       hook enqueues the task with a short countdown (``MERGEPLAN_RECOMPUTE_COUNTDOWN`` seconds, default
       2), passing the new counter value. An enqueue that fails (broker down) is logged and swallowed:
       the write has succeeded and the sweep (6) catches up. Outside a transaction (autocommit) the bump
       is its own statement right after the write.
    3. The task reads the counters first. If ``completed`` has already reached the value the task was
       enqueued for, a run that started later has covered the change: the task exits at once. A burst
       of N committed changes within the countdown therefore costs one schedule computation, and the
       other N − 1 tasks are no-ops. A task run twice (redelivered, swept) is therefore harmless.
    4. A run notes every merger's ``requested`` *before* it loads the graph and, after writing, raises
       ``completed`` to those noted values (never lowers it) for every merger of the component. A change
       committed after the note has a higher ``requested`` and its own queued task, which then runs; a
       change committed before the note is visible to the load (the counter is bumped in the change's
       own transaction, so a counter value is visible only with its change). So no change is ever lost,
       and no change is computed twice without need.
    5. Two workers: the write phase serialises the runs of overlapping components (on PostgreSQL with
       transaction-scoped advisory locks per merger, in merger-id order, which writing transactions never
       take; elsewhere by locking the ``ScheduleRequest`` rows) and first checks whether a run has
       written since this run's note and covered at least what this run noted (``completed`` now above
       the noted ``completed`` and at least the noted ``requested``). If one has, it loaded no earlier
       and its results are at least as fresh: this run writes nothing (stale results never overwrite
       fresh ones, and two runs of one request never record the same Events twice). The ``completed``
       rows are locked only at the very end, without waiting (``NOWAIT``, a few short retries): a writing
       transaction that has bumped ``requested`` holds that row, and waiting for it while holding the
       steps it may need would deadlock; the run rolls back instead, and that transaction's own task
       (or the sweep) recomputes.
    6. The sweep (task ``runbook.recompute_sweep``, every minute from beat, and once when a worker
       starts): every merger with ``requested`` > ``completed`` whose last request or re-enqueue is older
       than ``MERGEPLAN_RECOMPUTE_SWEEP_AFTER`` seconds (default 30) is enqueued again with its current
       counter, and ``requested_at`` is moved to now. A broker that was down, a worker killed mid-run
       (``acks_late``; the broker redelivers only after its visibility timeout) or a failed run delays a
       replan by about a minute after recovery, never to the nightly run.
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
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.clock import today
from core.validation import PLANNING_DATE_MAX, PLANNING_DATE_MIN
from municipalities.models import DispensationStatus, Merger
from systems.models import VendorCapacityPeriod

from engine import calendar as cal_mod
from engine import plancheck
from engine import scheduling as eng
from .baselines import baseline_capture, baseline_slip  # noqa: F401 - moved to runbook.baselines; kept for callers
from .events import events_bulk_record
from .models import (
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
from .selectors import finding_message

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
    """A plan-check finding as a JSON-able dict (see ``engine.plancheck``)."""
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


_ADVISORY_NAMESPACE = 0x6D70  # "mp": the first key of the advisory locks of schedule runs


def _runs_serialise(merger_ids: Iterable[int]) -> dict[int, int]:
    """Serialise the write phases of schedule runs on overlapping components; the ``completed`` counters.

    PostgreSQL: transaction-scoped advisory locks per merger in id order, which no writing transaction
    takes (a row lock on ``ScheduleRequest`` would wait for, and deadlock with, a transaction that has
    bumped ``requested`` and now needs a step this run writes). Elsewhere (SQLite: one writer at a
    time anyway) the rows are locked.
    """
    ids = sorted(merger_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for m in ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, m])
        qs = ScheduleRequest.objects.all()
    else:
        qs = ScheduleRequest.objects.select_for_update()
    return dict(qs.filter(merger_id__in=ids).order_by("merger_id").values_list("merger_id", "completed"))


class _RequestsBusy:
    """Swallow the 'lock not available' of ``_requests_lock_nowait`` after its transaction rolled back."""

    hit = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and _lock_not_available(exc):
            self.hit = True
            return True
        return False


def _lock_not_available(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "pgcode", None) == "55P03"


def _requests_lock_nowait(merger_ids: list[int], *, attempts: int = 4, pause: float = 0.05) -> None:
    """Lock the ``ScheduleRequest`` rows whose ``completed`` this run raises, without waiting for a writing
    transaction that holds one (it has bumped ``requested`` and will enqueue its own run): a few short
    retries, then ``OperationalError`` (lock not available), which rolls the run back."""
    if not merger_ids or connection.vendor != "postgresql":
        return
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                list(
                    ScheduleRequest.objects.select_for_update(nowait=True)
                    .filter(merger_id__in=sorted(merger_ids))
                    .order_by("merger_id")
                    .values_list("merger_id", flat=True)
                )
            return
        except OperationalError as exc:
            if not _lock_not_available(exc) or attempt == attempts - 1:
                raise
            time.sleep(pause)


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

    _ensure_requests(graph.merger_ids)  # committed apart: a new row locked here would block writers
    busy = _RequestsBusy()
    with busy, transaction.atomic():
        # serialise concurrent runs on overlapping components (merger-id order: no deadlock)
        completed_now = _runs_serialise(graph.merger_ids)
        if any(
            completed_now.get(m, 0) > noted.get(m, (0, 0))[1] and completed_now.get(m, 0) >= noted.get(m, (0, 0))[0]
            for m in graph.merger_ids
        ):
            # a run that noted at least our request has written since our note: ours is stale or the same
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
        raise_ids = [m for m in graph.merger_ids if noted.get(m, (0, 0))[0] > completed_now.get(m, 0)]
        _requests_lock_nowait(raise_ids)
        for m in raise_ids:
            requested = noted.get(m, (0, 0))[0]
            ScheduleRequest.objects.filter(merger_id=m, completed__lt=requested).update(
                completed=requested, completed_at=now
            )
    if busy.hit:
        logger.info("schedule run of %s rolled back: a change to it is being committed", graph.merger_ids)
        return ApplyResult(graph.merger_ids, len(graph.rows), 0, 0, 0, 0, 0, sched.feasible, t_engine,
                           time.perf_counter() - t0, skipped=True)
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
    findings_of = {}
    for m in graph.merger_ids:
        mine = [i for i in exc.cycle if graph.rows.get(i, {}).get("runbook__merger_id") == m]
        findings_of[m] = [{**finding, "merger_id": m}] if mine else []
    _findings_record(findings_of)
    return ApplyResult(graph.merger_ids, len(graph.rows), 0, 0, 0, 0, 1, False, 0.0, time.perf_counter() - t0)


def _findings_record(findings_of: dict[int, list[dict]]) -> None:
    """Store the findings of a run that could not schedule (merger id → findings); the dates stay."""
    now = timezone.now()
    with transaction.atomic():
        for m, findings in findings_of.items():
            Runbook.objects.filter(merger_id=m).update(schedule_findings=findings, scheduled_at=now)


# --- stored data that cannot be planned ------------------------------------------------------------------

#: What the engine or its calendar raise on stored data they cannot plan (a date beyond what the calendar
#: and date arithmetic reach, e.g. a step "not before 9999-12-31" stored before input was bounded).
UNPLANNABLE_ERRORS = (ValueError, OverflowError)
#: The step dates a planner enters (the rest the engine computes from them).
_INPUT_DATES = ("deadline", "not_before", "target_date", "actual_start", "actual_finish")


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


def _unplannable_error(merger_id: int, status_date: dt.date | None) -> BaseException | None:
    """What planning the merger on its own raises (None when it plans, or fails only on a cycle, which
    the run records as such): the engine, its plan check and the scenario comparison, nothing written."""
    try:
        graph = graph_load(only=[merger_id], status_date=status_date)
        if merger_id in graph.runbook_of:
            sched = eng.schedule(graph.problem, eng.Scenario.ACTUAL)
            plancheck.plan_check(graph.problem, sched)
            scenarios_compare(graph, merger_id)
    except eng.CyclicDependencyError:
        return None
    except UNPLANNABLE_ERRORS as exc:
        return exc
    return None


def _unplannable_finding(merger_id: int, exc: BaseException) -> dict:
    """The finding of a merger whose stored data cannot be planned, naming the steps with dates outside
    the planning range (``core.validation``)."""
    outside = Q()
    for name in _INPUT_DATES:
        outside |= Q(**{f"{name}__lt": PLANNING_DATE_MIN}) | Q(**{f"{name}__gt": PLANNING_DATE_MAX})
    steps = list(
        Step.objects.filter(outside, runbook__merger_id=merger_id).order_by("sequence", "pk").values_list("pk", "key")[:50]
    )
    finding = {
        "kind": "unplannable", "merger_id": merger_id, "step_ids": [pk for pk, _ in steps],
        "step_keys": [key for _, key in steps], "date": None, "days": 0, "vendor": None, "vendor_name": None,
        "week": None, "count": 0, "capacity": None, "error": str(exc)[:300],
    }
    with translation.override(settings.LANGUAGE_CODE):
        finding["message"] = finding_message(finding)
    return finding


def _unplannable_record(errors: dict[int, BaseException], noted: dict[int, tuple[int, int]]) -> None:
    """Record an "unplannable" finding on each merger of ``errors`` (its dates stay) and mark its pending
    requests done: they were handled, and a sweep must not retry them until the data changes."""
    for m, exc in errors.items():
        logger.error("merger %s cannot be planned from its stored data: %s", m, exc)
    _findings_record({m: [_unplannable_finding(m, exc)] for m, exc in errors.items()})
    now = timezone.now()
    for m in errors:
        requested = noted.get(m, (0, 0))[0]
        ScheduleRequest.objects.filter(merger_id=m, completed__lt=requested).update(
            completed=requested, completed_at=now
        )


def _schedule_isolating(
    merger_id: int | None, *, status_date: dt.date | None, compare_for: Iterable[int] | None,
    noted: dict[int, tuple[int, int]],
) -> ApplyResult:
    """Schedule ``merger_id``'s component (every merger when None). When its stored data cannot be planned
    (``UNPLANNABLE_ERRORS``), each merger is tried on its own; those that fail get an "unplannable"
    finding and the others are scheduled without them. A failure that no merger shows on its own leaves
    every merger tried unplanned (recorded, never a crash)."""
    excluded: dict[int, BaseException] = {}
    result = _EMPTY
    while True:
        only = None if not excluded else [m for m in _component_ids(merger_id) if m not in excluded]
        if only == []:
            break
        try:
            graph = graph_load(merger_id, status_date=status_date, only=only)
            if merger_id is not None and merger_id not in graph.runbook_of and not excluded:
                break
            result = _apply(graph, compare_for=compare_for, noted=noted)
            break
        except UNPLANNABLE_ERRORS as exc:
            candidates = only if only is not None else _component_ids(merger_id)
            logger.warning("schedule run of mergers %s failed (%s); looking for the one that cannot be planned",
                           candidates, exc)
            broken = {m: e for m in candidates if (e := _unplannable_error(m, status_date)) is not None}
            excluded.update(broken or dict.fromkeys(candidates, exc))
    if excluded:
        _unplannable_record(excluded, noted)
        result = replace(result, findings=result.findings + len(excluded), feasible=False)
    return result


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
    return _schedule_isolating(merger_id, status_date=status_date, compare_for=[merger_id], noted=noted)


def schedule_apply_all(*, status_date: dt.date | None = None) -> ApplyResult:
    """Schedule every merger at once (the nightly run: capacity levelled across the whole country); a
    merger whose stored data cannot be planned gets an "unplannable" finding and the others are planned."""
    noted = _requested_counters()
    return _schedule_isolating(None, status_date=status_date, compare_for=None, noted=noted)


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
    """An on-commit hook that remembers its merger (so a transaction registers one hook per merger) and
    the counter value its transaction bumped ``requested`` to."""

    __slots__ = ("merger_id", "stamp")

    def __init__(self, merger_id: int, stamp: int) -> None:
        self.merger_id = merger_id
        self.stamp = stamp

    def __call__(self) -> None:
        recompute_task_enqueue(self.merger_id, self.stamp)


def recompute_enqueue(merger_id: int) -> None:
    """Ask for a recompute of the merger: bump its request counter in the current transaction (the
    outbox: the change and the request commit together) and enqueue the task after the commit (once per
    transaction)."""
    ids = getattr(_deferred, "ids", None)
    if ids is not None:
        ids.add(merger_id)
        return
    if connection.in_atomic_block:
        # Skip when a hook for this merger was registered in this block or an enclosing one that is still
        # open (it and its bump commit or roll back together with this call). Hooks of sibling blocks that
        # have ended are not looked at: the request counter collapses those runs anyway (see above).
        current = set(connection.savepoint_ids)
        for sids, func, _robust in connection.run_on_commit:
            if isinstance(func, _RecomputeHook) and func.merger_id == merger_id and set(sids) <= current:
                return
    try:
        stamp = _request_bump([merger_id]).get(merger_id, 0)
    except IntegrityError:  # the merger was deleted meanwhile
        return
    transaction.on_commit(_RecomputeHook(merger_id, stamp))


def recompute_task_enqueue(merger_id: int, stamp: int, *, countdown: float | None = None) -> bool:
    """Enqueue the recompute task for request ``stamp``; False (logged) when the broker is away: the
    request is committed and the sweep enqueues it again."""
    from .tasks import merger_recompute

    if countdown is None:
        countdown = float(getattr(settings, "MERGEPLAN_RECOMPUTE_COUNTDOWN", 2.0))
    try:
        merger_recompute.apply_async(args=(merger_id, stamp), countdown=countdown)
    except Exception:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            raise
        logger.exception("could not enqueue the recompute of merger %s (the sweep will)", merger_id)
        return False
    return True


def _request_bump(merger_ids: Iterable[int]) -> dict[int, int]:
    """Raise the requested counters (creating rows as needed); returns the new values."""
    ids = list(merger_ids)
    now = timezone.now()
    with transaction.atomic():
        _ensure_requests(ids)
        ScheduleRequest.objects.filter(merger_id__in=ids).update(requested=F("requested") + 1, requested_at=now)
        return dict(ScheduleRequest.objects.filter(merger_id__in=ids).values_list("merger_id", "requested"))


def recompute_request(merger_id: int) -> int:
    """Stamp a new request for the merger now (its own statement when not in a transaction) and enqueue
    the recompute task with a short countdown."""
    try:
        stamp = _request_bump([merger_id]).get(merger_id, 0)
    except IntegrityError:  # the merger was deleted meanwhile
        return 0
    recompute_task_enqueue(merger_id, stamp)
    return stamp


def recompute_sweep(*, older_than: float | None = None) -> list[int]:
    """Enqueue again every pending request (``requested`` > ``completed``) whose last request or
    re-enqueue is older than ``older_than`` seconds (``MERGEPLAN_RECOMPUTE_SWEEP_AFTER``, default 30);
    returns the merger ids enqueued. See the module docstring, 6."""
    if older_than is None:
        older_than = float(getattr(settings, "MERGEPLAN_RECOMPUTE_SWEEP_AFTER", 30))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than)
    pending = list(
        ScheduleRequest.objects.filter(requested__gt=F("completed"))
        .filter(Q(requested_at__lte=cutoff) | Q(requested_at__isnull=True))
        .order_by("merger_id")
        .values_list("merger_id", "requested")
    )
    swept = []
    for merger_id, stamp in pending:
        if not recompute_task_enqueue(merger_id, stamp, countdown=0):
            break  # the broker is away: the next sweep tries again
        # the next sweep waits again (a newer request has moved requested_at anyway)
        ScheduleRequest.objects.filter(
            Q(requested_at__lte=cutoff) | Q(requested_at__isnull=True), merger_id=merger_id
        ).update(requested_at=timezone.now())
        swept.append(merger_id)
    if swept:
        logger.warning("recompute sweep enqueued the pending replans of mergers %s", swept)
    return swept


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


