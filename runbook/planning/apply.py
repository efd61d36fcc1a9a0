"""Writing a computed schedule: run the engine on a loaded component and write back only the rows whose
results changed (bulk updates), the waves, an Event for each step whose planned dates moved, and each
runbook's findings, plan check and summary. A component whose stored data cannot be planned is narrowed
to the mergers that can, and the others get an "unplannable" finding.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from psycopg2.extras import execute_batch

import engine as eng
from audit.events import build_step_rescheduled_event, events_bulk_record
from audit.models import Event
from core.validation import PLANNING_DATE_MAX, PLANNING_DATE_MIN
from engine import plancheck
from municipalities.models import Merger
from runbook.models import Runbook, ScheduleRequest, Step, Wave
from runbook.planning.counters import (
    _ensure_requests,
    _requested_counters,
    _requests_lock_nowait,
    _RequestsBusy,
    _runs_serialise,
)
from runbook.planning.fetch import RESULT_FIELDS, Graph, _component_ids, graph_load
from runbook.planning.shapes import (
    _findings_by_merger,
    _iso,
    _merger_summary,
    _wave_name,
    check_dict,
    scenarios_compare,
)
from runbook.selectors.steps import finding_message

logger = logging.getLogger(__name__)


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
                    build_step_rescheduled_event(
                        step_type=ct, step_id=sid, step_name=row["name"], merger_id=row["runbook__merger_id"],
                        moves=moves,
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


# --- stored data that cannot be planned -----------------------------------------------------------

#: What the engine or its calendar raise on stored data they cannot plan (a date beyond what the calendar
#: and date arithmetic reach, e.g. a step "not before 9999-12-31" stored before input was bounded).
UNPLANNABLE_ERRORS = (ValueError, OverflowError)


#: The step dates a planner enters (the rest the engine computes from them).
_INPUT_DATES = ("deadline", "not_before", "target_date", "actual_start", "actual_finish")


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
