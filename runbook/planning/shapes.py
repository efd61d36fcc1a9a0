"""The JSON shapes of a computed schedule, for the pages and the API: engine and plan-check findings as
dicts (step keys and vendor names added), each merger's summary (critical path, waves, vendor load) and
its big bang versus rolling comparison. Shaping only: no query, no write.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

import engine as eng
from engine import plancheck
from runbook.planning.fetch import Graph


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


def _wave_name(number: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Wave %(number)d") % {"number": number}


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
