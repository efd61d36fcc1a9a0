"""Reads of the runbook for the pages and the API: progress, the stored schedule, steps at risk.

Each selector runs a fixed, small number of queries whatever the size of the runbook.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from audit.models import Event
from core.clock import today
from core.formats import week_label
from core.i18n import bilingual, language_code
from municipalities.models import Merger
from runbook.models import FINISHED_STATUSES, Runbook, Step, StepKind, StepStatus
from systems.models import LegalBinding


def step_weight(kind: str, duration_days: int) -> int:
    """A step's weight in progress figures: its duration in working days; a milestone counts as 1."""
    return duration_days if duration_days > 0 else 1


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
    lang = language_code()
    empty = {"total_days": 0, "done_days": 0, "total_steps": 0, "done_steps": 0}
    overall = dict(empty)
    by_status: Counter[str] = Counter()
    groups: dict[str, dict] = {"phase": defaultdict(lambda: dict(empty)), "municipality": defaultdict(lambda: dict(empty)),
                               "domain": defaultdict(lambda: dict(empty))}
    labels: dict[str, dict] = {"phase": {}, "municipality": {None: pgettext("municipality", "Joint")}, "domain": {None: _("General")}}
    order: dict[str, dict] = {"phase": {}, "municipality": {}, "domain": {}}
    for (status, kind, days, ph_id, ph_no, ph_da, ph_en, mu_id, mu_name, do_id, do_da, do_en, do_pos) in rows:
        w = step_weight(kind, days)
        done = status in FINISHED_STATUSES
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
        labels["phase"][ph_id] = f"{ph_no}. {bilingual(ph_da, ph_en, lang)}"
        order["phase"][ph_id] = (ph_no,)
        if mu_id is not None:
            labels["municipality"][mu_id] = mu_name
            order["municipality"][mu_id] = (0, mu_name)
        if do_id is not None:
            labels["domain"][do_id] = bilingual(do_da, do_en, lang)
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
    "KMD: 5 cutovers in week 52 (2006), capacity 2".
    """
    kind = finding.get("kind")
    keys = finding.get("step_keys") or [str(i) for i in finding.get("step_ids", [])]
    days = int(finding.get("days") or 0)
    if kind == "deadline_missed":
        return ngettext(
            "Chain %(chain)s misses %(date)s by %(days)d working day",
            "Chain %(chain)s misses %(date)s by %(days)d working days",
            days,
        ) % {"chain": _chain(keys), "date": _day(finding.get("date")), "days": days}
    if kind == "gate_after_deadline":
        return ngettext(
            "Cutover %(step)s cannot go live before %(date)s, %(days)d working day after its deadline",
            "Cutover %(step)s cannot go live before %(date)s, %(days)d working days after its deadline",
            days,
        ) % {"step": _chain(keys), "date": _day(finding.get("date")), "days": days}
    if kind == "capacity_overflow":
        count = int(finding.get("count") or 0)
        return ngettext(
            "%(vendor)s: %(count)d cutover in %(week)s, capacity %(capacity)d",
            "%(vendor)s: %(count)d cutovers in %(week)s, capacity %(capacity)d",
            count,
        ) % {
            "vendor": finding.get("vendor_name") or finding.get("vendor") or "?",
            "count": count,
            "week": _week(finding.get("week")),
            "capacity": int(finding.get("capacity") or 0),
        }
    if kind == "cycle":
        return _("The dependencies form a cycle: %(chain)s") % {"chain": " → ".join(keys)}
    if kind == "unplannable":
        if keys:
            return _(
                "The plan cannot be computed: steps %(steps)s hold dates the planner cannot use (%(error)s). "
                "Correct them; the other mergers are planned as usual."
            ) % {"steps": ", ".join(keys[:6]) + (" …" if len(keys) > 6 else ""),
                 "error": finding.get("error") or "?"}
        return _(
            "The plan cannot be computed from the stored data (%(error)s). Correct it; the other mergers "
            "are planned as usual."
        ) % {"error": finding.get("error") or "?"}
    return str(kind)


def _day(value) -> str:
    """A date of a finding ("2006-07-03" or a date) as Danish text, e.g. "3. juli 2006"."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return date_format(value)


def _week(value) -> str:
    """An ISO week "2006-W27" as "uge 27 (2006)"."""
    return week_label(value)


def plan_check_message(finding: dict) -> str:
    """A plan-check finding (``Runbook.plan_check``) as a sentence in the active language. The first step
    is the one the finding is about (a cutover, mostly); a second one is the step it is measured against
    (the training, the dress rehearsal, the first payroll)."""
    kind = finding.get("kind")
    days = int(finding.get("days") or 0)
    label = finding.get("label") or ""
    keys = [str(k) for k in (finding.get("step_keys") or finding.get("step_ids") or [])]
    values = {"step": keys[0] if keys else "?", "other": keys[1] if len(keys) > 1 else "?",
              "date": _day(finding.get("date")), "days": days, "label": label,
              "vendor": finding.get("vendor") or "?", "week": _week(finding.get("week"))}
    if kind == "go_live_closed":
        if label and label != "closed":
            return _("Cutover %(step)s goes live on %(date)s, inside the closed period »%(label)s«.") % values
        return _("Cutover %(step)s goes live on %(date)s, a closed day.") % values
    if kind == "go_live_before_preparation":
        if label == "training":
            return _("Cutover %(step)s goes live on %(date)s before its training %(other)s is finished.") % values
        return _("Cutover %(step)s goes live on %(date)s before its dress rehearsal %(other)s is finished.") % values
    if kind == "not_just_in_time":
        if label == "training":
            return ngettext(
                "Training %(other)s finishes %(days)d working day before the go-live of %(step)s on %(date)s: "
                "not just in time.",
                "Training %(other)s finishes %(days)d working days before the go-live of %(step)s on %(date)s: "
                "not just in time.",
                days,
            ) % values
        return ngettext(
            "Dress rehearsal %(other)s finishes %(days)d working day before the go-live of %(step)s on %(date)s: "
            "not just in time.",
            "Dress rehearsal %(other)s finishes %(days)d working days before the go-live of %(step)s on "
            "%(date)s: not just in time.",
            days,
        ) % values
    if kind == "binding_broken":
        binding = str(LegalBinding(label).label).lower() if label in LegalBinding.values else label
        return _("Cutover %(step)s on %(date)s breaks its area's binding (%(label)s).") % {**values, "label": binding}
    if kind == "vendor_overload":
        if days:
            return ngettext(
                "%(vendor)s has %(days)d go-live too many in %(week)s.",
                "%(vendor)s has %(days)d go-lives too many in %(week)s.",
                days,
            ) % values
        return _("%(vendor)s is over capacity in %(week)s.") % values
    if kind == "first_payroll_off_pay_day":
        return _("The first payroll %(step)s is on %(date)s, which is not a pay day.") % values
    if kind == "reconciliation_before_payroll":
        return _("The payroll reconciliation %(step)s on %(date)s comes before the first payroll %(other)s.") % values
    if kind == "user_work_in_holiday":
        if label:
            return _("%(step)s needs the users but lies in »%(label)s« (%(date)s).") % values
        return _("%(step)s needs the users but lies in a holiday (%(date)s).") % values
    return label or str(kind)


def plan_check_rows(findings, merger_id: int) -> list[dict]:
    """Plan-check findings with their message and the steps they name (page and API links); no query."""
    rows = []
    for f in findings or []:
        if not isinstance(f, dict):
            continue
        ids = list(f.get("step_ids") or [])
        keys = list(f.get("step_keys") or [])
        steps = [
            {
                "id": sid,
                "key": keys[i] if i < len(keys) else str(sid),
                "url": reverse("step-detail", kwargs={"merger_id": merger_id, "step_id": sid}),
                "api_url": reverse("step-detail", kwargs={"pk": sid}),
            }
            for i, sid in enumerate(ids)
        ]
        rows.append({
            "kind": f.get("kind"), "step_ids": ids, "step_keys": keys, "date": f.get("date"),
            "days": int(f.get("days") or 0), "vendor": f.get("vendor"), "week": f.get("week"),
            "label": f.get("label") or "", "message": plan_check_message(f), "steps": steps,
        })
    return rows


def plan_check_for_merger(merger: Merger | int) -> dict:
    """``{"merger", "count", "findings"}`` from the merger's stored plan check (one query)."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    stored = Runbook.objects.filter(merger_id=merger_id).values_list("plan_check", flat=True).first()
    rows = plan_check_rows(stored, merger_id)
    return {"merger": merger_id, "count": len(rows), "findings": rows}


#: Placement reasons the scheduler writes on a go-live (``Step.placement``), in words.
_PLACEMENT = {
    "legal_date": gettext_lazy("Bound to the legal date"),
    "dispensation": gettext_lazy("Dispensation date"),
    "target": gettext_lazy("The planner's target"),
    "work": gettext_lazy("As early as possible after the preparation"),
    "national_run": gettext_lazy("The vendor's national conversion run"),
}


def placement_messages(placement, *, vendor: str | None = None) -> list[str]:
    """Why a go-live sits where it does (``Step.placement``), one sentence per reason.

    ``freeze:<label>`` → "Moved by the freeze period »<label>«"; ``capacity`` → "Moved to spread <vendor>'s
    load"; ``national_run`` names the vendor when given.
    """
    out = []
    for reason in placement or []:
        reason = str(reason)
        if reason.startswith("freeze:"):
            out.append(_("Moved by the freeze period »%(label)s«") % {"label": reason.split(":", 1)[1]})
        elif reason == "capacity":
            out.append(_("Moved to spread %(vendor)s's load") % {"vendor": vendor} if vendor
                       else _("Moved to spread the vendor's load"))
        elif reason == "national_run" and vendor:
            out.append(_("%(vendor)s's national conversion run") % {"vendor": vendor})
        elif reason in _PLACEMENT:
            out.append(str(_PLACEMENT[reason]))
        else:
            out.append(reason)
    return out


def step_change_message(step: Step) -> str:
    """Who changed the step last, to what and when, from its latest audit Event (one query), e.g.
    "Bent Johannsen changed the status to Blokeret at 14:02 — reload the page and try again"."""
    event = (
        Event.objects.filter(content_type__app_label="runbook", content_type__model="step", object_id=step.pk)
        .select_related("actor").order_by("-created_at", "-pk").first()
    )
    if event is None:
        return _("The step was changed by someone else. Reload and try again.")
    who = (event.actor.get_full_name() or event.actor.username) if event.actor else pgettext("who", "The system")
    when = timezone.localtime(event.created_at).strftime("%H:%M")
    status = (event.changes or {}).get("status")
    if event.verb == "status_changed" and isinstance(status, list) and status[-1] in StepStatus.values:
        return _("%(who)s changed the status to %(status)s at %(time)s — reload the page and try again.") % {
            "who": who, "status": StepStatus(status[-1]).label, "time": when}
    return _("%(who)s changed the step at %(time)s — reload the page and try again.") % {"who": who, "time": when}


def schedule_for_merger(merger: Merger | int) -> dict:
    """The merger's latest schedule as stored by ``runbook.planning.schedule_apply`` (one query).

    ``{"scheduled_at", "feasible", "findings": [{..., "message"}], "critical_path": [step ids],
    "waves": [{number, name, milestone_date, week, step_ids}], "scenarios": {"big_bang": …, "rolling": …},
    "vendor_load", "vendor_names", "min_slack", "first_go_live", "last_go_live", "status_date"}``.
    """
    merger_id = merger if isinstance(merger, int) else merger.pk
    row = (
        Runbook.objects.filter(merger_id=merger_id)
        .values("scheduled_at", "schedule_findings", "schedule_summary", "plan_check")
        .first()
    )
    if row is None:
        return {"scheduled_at": None, "feasible": True, "findings": [], "critical_path": [], "waves": [],
                "scenarios": {}, "plan_check": []}
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
        "plan_check": plan_check_rows(row["plan_check"], merger_id),
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
    if code == "blocked_critical":
        return _("Blocked on the critical path: every day it stays blocked delays the go-lives")
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
        .exclude(status__in=FINISHED_STATUSES)
        .select_related("assignee_municipality", "assignee_vendor", "domain", "owner")
        .order_by("planned_finish", "sequence", "pk")
    )


def cutovers(merger: Merger | int) -> QuerySet[Step]:
    """The merger's cutover steps by go-live."""
    merger_id = merger if isinstance(merger, int) else merger.pk
    return (
        Step.objects.filter(runbook__merger_id=merger_id, kind=StepKind.CUTOVER)
        .filter(~Q(status=StepStatus.SKIPPED))
        .select_related("domain", "assignee_vendor", "wave")
        .order_by("go_live", "sequence", "pk")
    )
