"""Reads of the runbook for the pages and the API: progress, the stored schedule, steps at risk.

Each selector runs a fixed, small number of queries whatever the size of the runbook.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Q, QuerySet
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from mergeplan.clock import today
from municipalities.models import Merger

from .models import Runbook, Step, StepKind, StepStatus

#: Statuses that count as finished work in progress figures (skipped work is no longer to be done).
FINISHED = (StepStatus.DONE, StepStatus.SKIPPED)


def step_weight(kind: str, duration_days: int) -> int:
    """A step's weight in progress figures: its duration in working days; a milestone counts as 1."""
    return duration_days if duration_days > 0 else 1


def _lang() -> str:
    return (get_language() or "da")[:2]


def _pick(lang: str, da: str | None, en: str | None) -> str:
    return (en or da or "") if lang == "en" and en else (da or "")


def _percent(done: int, total: int) -> float:
    return round(100.0 * done / total, 1) if total else 0.0


def _group_rows(groups: dict, labels: dict, order: dict) -> list[dict]:
    out = []
    for key in sorted(groups, key=lambda k: (order.get(k, (1 << 30,)), str(k))):
        g = groups[key]
        out.append(
            {
                "id": key,
                "label": labels.get(key, ""),
                "total_days": g["total_days"],
                "done_days": g["done_days"],
                "percent": _percent(g["done_days"], g["total_days"]),
                "total_steps": g["total_steps"],
                "done_steps": g["done_steps"],
            }
        )
    return out


def progress_for_merger(merger: Merger | int) -> dict:
    """Progress of a merger's runbook, weighted by duration (milestones count as 1). One query.

    ``{"overall": {total_steps, done_steps, total_days, done_days, percent, by_status{status: n}},
    "by_phase": [...], "by_municipality": [...], "by_domain": [...]}`` where each list item is
    ``{id, label, total_days, done_days, percent, total_steps, done_steps}``. Done means done or skipped.
    Steps with no municipality or domain are grouped under id None ("Joint" / "General").
    """
    merger_id = merger if isinstance(merger, int) else merger.pk
    rows = Step.objects.filter(runbook__merger_id=merger_id).values_list(
        "status",
        "kind",
        "duration_days",
        "phase_id",
        "phase__number",
        "phase__name",
        "phase__name_en",
        "assignee_municipality_id",
        "assignee_municipality__name",
        "domain_id",
        "domain__name",
        "domain__name_en",
        "domain__position",
    )
    lang = _lang()
    empty = {"total_days": 0, "done_days": 0, "total_steps": 0, "done_steps": 0}
    overall = dict(empty)
    by_status: Counter[str] = Counter()
    groups: dict[str, dict] = {"phase": defaultdict(lambda: dict(empty)), "municipality": defaultdict(lambda: dict(empty)),
                               "domain": defaultdict(lambda: dict(empty))}
    labels: dict[str, dict] = {"phase": {}, "municipality": {None: _("Joint")}, "domain": {None: _("General")}}
    order: dict[str, dict] = {"phase": {}, "municipality": {}, "domain": {}}
    for (status, kind, days, ph_id, ph_no, ph_da, ph_en, mu_id, mu_name, do_id, do_da, do_en, do_pos) in rows:
        w = step_weight(kind, days)
        done = status in FINISHED
        by_status[status] += 1
        for name, key in (("phase", ph_id), ("municipality", mu_id), ("domain", do_id)):
            g = groups[name][key]
            g["total_days"] += w
            g["total_steps"] += 1
            if done:
                g["done_days"] += w
                g["done_steps"] += 1
        overall["total_days"] += w
        overall["total_steps"] += 1
        if done:
            overall["done_days"] += w
            overall["done_steps"] += 1
        labels["phase"][ph_id] = f"{ph_no}. {_pick(lang, ph_da, ph_en)}"
        order["phase"][ph_id] = (ph_no,)
        if mu_id is not None:
            labels["municipality"][mu_id] = mu_name
            order["municipality"][mu_id] = (0, mu_name)
        if do_id is not None:
            labels["domain"][do_id] = _pick(lang, do_da, do_en)
            order["domain"][do_id] = (do_pos, do_da)
    overall["percent"] = _percent(overall["done_days"], overall["total_days"])
    overall["by_status"] = {s: by_status.get(s, 0) for s in StepStatus.values}
    return {
        "overall": overall,
        "by_phase": _group_rows(groups["phase"], labels["phase"], order["phase"]),
        "by_municipality": _group_rows(groups["municipality"], labels["municipality"], order["municipality"]),
        "by_domain": _group_rows(groups["domain"], labels["domain"], order["domain"]),
    }


# --- the stored schedule ------------------------------------------------------------------------------


def _chain(keys: list[str], limit: int = 6) -> str:
    if len(keys) <= limit:
        return " → ".join(keys)
    return " → ".join([*keys[:2], "…", *keys[-(limit - 3):]])


def finding_message(finding: dict) -> str:
    """A schedule finding in plain words, in the active language.

    E.g. "Chain 12 → 19 → 29-payroll misses 2007-01-02 by 4 working days" or
    "KMD: 5 cutovers in week 2006-W52, capacity 2".
    """
    kind = finding.get("kind")
    keys = finding.get("step_keys") or [str(i) for i in finding.get("step_ids", [])]
    days = int(finding.get("days") or 0)
    if kind == "deadline_missed":
        return ngettext(
            "Chain %(chain)s misses %(date)s by %(days)d working day",
            "Chain %(chain)s misses %(date)s by %(days)d working days",
            days,
        ) % {"chain": _chain(keys), "date": finding.get("date"), "days": days}
    if kind == "gate_after_deadline":
        return ngettext(
            "Cutover %(step)s cannot go live before %(date)s, %(days)d working day after its deadline",
            "Cutover %(step)s cannot go live before %(date)s, %(days)d working days after its deadline",
            days,
        ) % {"step": _chain(keys), "date": finding.get("date"), "days": days}
    if kind == "capacity_overflow":
        count = int(finding.get("count") or 0)
        return ngettext(
            "%(vendor)s: %(count)d cutover in week %(week)s, capacity %(capacity)d",
            "%(vendor)s: %(count)d cutovers in week %(week)s, capacity %(capacity)d",
            count,
        ) % {
            "vendor": finding.get("vendor_name") or finding.get("vendor") or "?",
            "count": count,
            "week": finding.get("week"),
            "capacity": int(finding.get("capacity") or 0),
        }
    if kind == "cycle":
        return _("The dependencies form a cycle: %(chain)s") % {"chain": " → ".join(keys)}
    return str(kind)


def schedule_for_merger(merger: Merger | int) -> dict:
    """The merger's latest schedule as stored by ``runbook.planning.schedule_apply`` (one query).

    ``{"scheduled_at", "feasible", "findings": [{..., "message"}], "critical_path": [step ids],
    "waves": [{number, name, milestone_date, week, step_ids}], "scenarios": {"big_bang": …, "rolling": …},
    "vendor_load", "vendor_names", "min_slack", "first_go_live", "last_go_live", "status_date"}``.
    """
    merger_id = merger if isinstance(merger, int) else merger.pk
    row = (
        Runbook.objects.filter(merger_id=merger_id)
        .values("scheduled_at", "schedule_findings", "schedule_summary")
        .first()
    )
    if row is None:
        return {"scheduled_at": None, "feasible": True, "findings": [], "critical_path": [], "waves": [],
                "scenarios": {}}
    summary = row["schedule_summary"] or {}
    findings = [{**f, "message": finding_message(f)} for f in (row["schedule_findings"] or [])]
    scenarios = {}
    for name, sc in (summary.get("scenarios") or {}).items():
        scenarios[name] = {**sc, "findings": [{**f, "message": finding_message(f)} for f in sc.get("findings", [])]}
    return {
        **{k: v for k, v in summary.items() if k not in ("scenarios",)},
        "scheduled_at": row["scheduled_at"],
        "feasible": not findings,
        "findings": findings,
        "critical_path": summary.get("critical_path", []),
        "waves": summary.get("waves", []),
        "scenarios": scenarios,
    }


# --- steps that need attention --------------------------------------------------------------------------


def risk_reason_message(reason: dict) -> str:
    """A risk reason stored on a step (``Step.risk_reasons``) in plain words."""
    code = reason.get("code")
    days = int(reason.get("days") or 0)
    if code == "overdue":
        return ngettext("Overdue by %(days)d working day", "Overdue by %(days)d working days", days) % {"days": days}
    if code == "slipping":
        return ngettext(
            "Slipping %(days)d working day past its slack", "Slipping %(days)d working days past its slack", days
        ) % {"days": days}
    if code == "checkpoint_unsigned":
        return _("Not signed off, due by %(date)s") % {"date": reason.get("date")}
    if code == "infeasible":
        return _("On a chain that misses its deadline")
    return str(code)


def steps_at_risk(merger: Merger | int) -> QuerySet[Step]:
    """The merger's steps flagged at risk by the daily detection, earliest planned finish first."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    return (
        Step.objects.filter(runbook__merger_id=merger_id, at_risk=True)
        .select_related("assignee_municipality", "assignee_vendor", "domain", "owner")
        .order_by("planned_finish", "sequence", "pk")
    )


def steps_overdue(merger: Merger | int, on: dt.date | None = None) -> QuerySet[Step]:
    """Steps planned to finish before ``on`` (default today) that are neither done nor skipped."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    on = on or today()
    return (
        Step.objects.filter(runbook__merger_id=merger_id, planned_finish__lt=on)
        .exclude(status__in=FINISHED)
        .select_related("assignee_municipality", "assignee_vendor", "domain", "owner")
        .order_by("planned_finish", "sequence", "pk")
    )


def steps_critical(merger: Merger | int) -> QuerySet[Step]:
    """The merger's steps on a critical chain (slack at the merger's minimum, ≤ 0)."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    return Step.objects.filter(runbook__merger_id=merger_id, is_critical=True).order_by("planned_start", "pk")


def cutovers(merger: Merger | int) -> QuerySet[Step]:
    """The merger's cutover steps by go-live."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    return (
        Step.objects.filter(runbook__merger_id=merger_id, kind=StepKind.CUTOVER)
        .filter(~Q(status=StepStatus.SKIPPED))
        .select_related("domain", "assignee_vendor", "wave")
        .order_by("go_live", "sequence", "pk")
    )
