"""Reads about mergers for the pages: the one-line status of many mergers in a fixed number of queries,
the red/amber/green verdict, and the countdown to the legal and dispensation dates."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mergeplan.clock import today

from .models import Merger

FINISHED = ("done", "skipped")


@lru_cache(maxsize=8)
def _calendar(first_year: int, last_year: int):
    from runbook.calendar import WorkCalendar

    return WorkCalendar.danish(range(first_year, last_year + 1))


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Danish working days in [a, b) (negative when b is before a)."""
    lo, hi = min(a, b), max(a, b)
    return _calendar(lo.year - 1, hi.year + 1).working_days_between(a, b)


def countdown(merger: Merger, on: dt.date) -> list[dict]:
    """Days and working days from ``on`` to the legal date and to the dispensation date."""
    rows = [{"label": _("Legal date"), "date": merger.legal_date, "key": "legal"}]
    if merger.dispensation_date:
        rows.append({"label": _("Dispensation date"), "date": merger.dispensation_date, "key": "dispensation"})
    for row in rows:
        row["days"] = (row["date"] - on).days
        row["days_ago"] = -row["days"]
        row["working_days"] = working_days_between(on, row["date"])
    return rows


@dataclass
class Verdict:
    """Red, amber or green, with the reason in words."""

    level: str  # "red" | "amber" | "green"
    label: str
    reasons: list[str]


def rag(*, overdue: int, overdue_critical: int, at_risk: int, blocked: int, min_slack: int | None,
        infeasible: int, overflow: int) -> Verdict:
    """The merger's status: red when a deadline cannot be met or a critical step is late; amber when
    something is overdue, blocked, at risk or over vendor capacity; green otherwise."""
    red, amber = [], []
    if infeasible:
        red.append(ngettext("%(n)d chain misses its deadline", "%(n)d chains miss their deadline", infeasible)
                   % {"n": infeasible})
    if overdue_critical:
        red.append(ngettext("%(n)d critical step is overdue", "%(n)d critical steps are overdue", overdue_critical)
                   % {"n": overdue_critical})
    if min_slack is not None and min_slack < 0 and not infeasible:
        red.append(_("negative slack: %(n)d working days") % {"n": min_slack})
    if overdue and overdue != overdue_critical:
        amber.append(ngettext("%(n)d step overdue", "%(n)d steps overdue", overdue) % {"n": overdue})
    if blocked:
        amber.append(ngettext("%(n)d step blocked", "%(n)d steps blocked", blocked) % {"n": blocked})
    if at_risk:
        amber.append(ngettext("%(n)d step at risk", "%(n)d steps at risk", at_risk) % {"n": at_risk})
    if overflow:
        amber.append(ngettext("%(n)d week over vendor capacity", "%(n)d weeks over vendor capacity", overflow)
                     % {"n": overflow})
    if red:
        return Verdict("red", _("Red"), red + amber)
    if amber:
        return Verdict("amber", _("Amber"), amber)
    return Verdict("green", _("Green"), [_("on plan: nothing overdue, blocked or at risk")])


def finding_counts(findings) -> tuple[int, int]:
    findings = findings or []
    infeasible = sum(1 for f in findings if f.get("kind") in ("deadline_missed", "gate_after_deadline"))
    overflow = sum(1 for f in findings if f.get("kind") == "capacity_overflow")
    return infeasible, overflow


def merger_summaries(merger_ids: list[int]) -> dict[int, dict]:
    """One line of status per merger (two queries however many mergers and steps): progress, overdue,
    blocked, at risk, minimum slack, findings, and the red/amber/green verdict."""
    from runbook.models import Runbook, Step

    on = today()
    open_ = ~Q(status__in=FINISHED)
    # the same weight as runbook.selectors.step_weight: working days, a milestone counts as 1
    weight = Case(When(duration_days=0, then=Value(1)), default=F("duration_days"), output_field=IntegerField())
    rows = (
        Step.objects.filter(runbook__merger_id__in=merger_ids)
        .values("runbook__merger_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status__in=FINISHED)),
            total_days=Sum(weight),
            done_days=Sum(weight, filter=Q(status__in=FINISHED)),
            at_risk=Count("id", filter=open_ & Q(at_risk=True)),
            overdue=Count("id", filter=open_ & Q(planned_finish__lt=on)),
            overdue_critical=Count("id", filter=open_ & Q(planned_finish__lt=on, is_critical=True)),
            blocked=Count("id", filter=Q(status="blocked")),
            min_slack=Min("total_slack", filter=open_),
        )
        .order_by()
    )
    by_merger = {r["runbook__merger_id"]: r for r in rows}
    findings = dict(Runbook.objects.filter(merger_id__in=merger_ids).values_list("merger_id", "schedule_findings"))
    out = {}
    for merger_id in merger_ids:
        r = by_merger.get(merger_id) or {
            "total": 0, "done": 0, "total_days": 0, "done_days": 0, "at_risk": 0, "overdue": 0,
            "overdue_critical": 0, "blocked": 0, "min_slack": None,
        }
        infeasible, overflow = finding_counts(findings.get(merger_id))
        total_days = r["total_days"] or 0
        done_days = r["done_days"] or 0
        verdict = rag(
            overdue=r["overdue"], overdue_critical=r["overdue_critical"], at_risk=r["at_risk"],
            blocked=r["blocked"], min_slack=r["min_slack"], infeasible=infeasible, overflow=overflow,
        )
        out[merger_id] = {
            **r,
            "done_days": done_days,
            "total_days": total_days,
            "percent": round(100.0 * done_days / total_days, 1) if total_days else 0.0,
            "infeasible": infeasible,
            "overflow": overflow,
            "has_runbook": merger_id in findings,
            "verdict": verdict,
            # larger = worse; used to sort mergers by risk
            "risk_score": (
                {"red": 2, "amber": 1, "green": 0}[verdict.level],
                infeasible + r["overdue_critical"],
                r["overdue"] + r["blocked"] + r["at_risk"],
                -(r["min_slack"] if r["min_slack"] is not None else 10_000),
            ),
        }
    return out
