"""The merger overview: the one-line status of many mergers in a fixed number of queries, the one
red/amber/green verdict every page shows (landing page, dashboard, status report, review), the mergers
ranked by risk, the standing no-go decisions, and the countdown to the legal and dispensation dates."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import Event
from core.clock import today
from core.i18n import bilingual, language_code
from municipalities.models import Merger, Role
from municipalities.selectors import dispensation_window
from runbook.models import FINISHED_STATUSES, Runbook, Step, StepStatus
from runbook.risks import notice_days
from runbook.workdays import working_days_between


def countdown(merger: Merger, on: dt.date) -> list[dict]:
    """Days and working days from ``on`` to the legal date and to the dispensation date. A dispensation date
    stored outside its window (before the rule) is marked ``invalid`` and never counted ("passed 39154 days
    ago" says nothing)."""
    rows = [{"label": _("Legal date"), "date": merger.legal_date, "key": "legal", "invalid": False}]
    if merger.dispensation_date:
        first, last = dispensation_window(merger)
        rows.append({"label": _("Dispensation date"), "date": merger.dispensation_date, "key": "dispensation",
                     "invalid": not first <= merger.dispensation_date <= last, "first": first, "last": last})
    for row in rows:
        if row["invalid"]:
            row["days"] = row["days_ago"] = row["working_days"] = None
            continue
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


@dataclass(frozen=True)
class NoGo:
    """A no-go decision that stands on an open checkpoint: the merger is red until a go replaces it."""

    merger_id: int
    step_id: int
    step: str  # key and name, e.g. "26 Generalprøve"
    who: str
    role: str
    reason: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def message(self) -> str:
        """The red reason in words, e.g. "No go on 26 Generalprøve from Hans-Ole (vendor advisor): »…«"."""
        return _("No go on %(step)s from %(who)s (%(role)s): »%(reason)s«") % {
            "step": self.step, "who": self.who, "role": self.role_label.lower(), "reason": self.reason}


#: Statuses of a checkpoint still to be decided (a done or skipped one is closed).
_OPEN = tuple(s for s in StepStatus.values if s not in FINISHED_STATUSES)
_NO_GO = "runbook__steps__signoffs__"


def open_no_gos(merger_ids: list[int]) -> dict[int, list[NoGo]]:
    """The no-go decisions on open checkpoints of the mergers, by merger, oldest first (one query).

    A no-go stands until the same role says go (one decision per role) or the checkpoint is closed (done
    with an override, or skipped). Read from the merger, so the rows come by merger in one join."""
    rows = (
        Merger.objects.filter(
            pk__in=merger_ids, runbook__steps__kind="checkpoint", runbook__steps__status__in=_OPEN,
            runbook__steps__signoffs__decision="no_go",
        )
        .order_by("pk", f"{_NO_GO}signed_at", f"{_NO_GO}id")
        .values_list("pk", "runbook__steps__id", "runbook__steps__key", "runbook__steps__name",
                     "runbook__steps__name_en", f"{_NO_GO}role", f"{_NO_GO}comment", f"{_NO_GO}user__first_name",
                     f"{_NO_GO}user__last_name", f"{_NO_GO}user__username")
    )
    lang = language_code()
    out: dict[int, list[NoGo]] = {}
    for merger_id, step_id, key, name, name_en, role, comment, first, last, username in rows:
        who = f"{first} {last}".strip() or username
        label = f"{key} {bilingual(name, name_en, lang)}"
        out.setdefault(merger_id, []).append(NoGo(merger_id, step_id, label, who, role, comment))
    return out


def _named(steps: list[str], limit: int = 2) -> tuple[list[str], int]:
    return steps[:limit], max(len(steps) - limit, 0)


def rag(*, overdue: int, overdue_critical: int, at_risk: int, blocked: int, min_slack: int | None,
        infeasible: int, overflow: int, blocked_critical: list[str] | None = None,
        blocked_tight: list[tuple[str, int]] | None = None, plan_check: int = 0,
        no_gos: list[NoGo] | None = None) -> Verdict:
    """The merger's status — the one verdict of every page: red when a checkpoint has a standing no-go
    (``no_gos``, named first with the reason and who said it), a deadline cannot be met, a critical step is
    late or a blocked step is on the critical path; amber when something is overdue, blocked (a blocked step whose slack is
    below the notice window is named), at risk, over vendor capacity or the plan check has findings;
    green otherwise. ``blocked_critical``: names of blocked critical steps; ``blocked_tight``: (name,
    slack) of blocked steps with slack below the notice window."""
    red, amber = [no_go.message for no_go in no_gos or []], []
    shown, more = _named(list(blocked_critical or []))
    for name in shown:
        red.append(_("%(step)s is blocked on the critical path") % {"step": name})
    if more:
        red.append(ngettext("and %(n)d more blocked step on the critical path",
                            "and %(n)d more blocked steps on the critical path", more) % {"n": more})
    shown_tight, more_tight = _named(list(blocked_tight or []))
    for name, slack in shown_tight:
        amber.append(ngettext("%(step)s is blocked with %(n)d working day of slack left",
                              "%(step)s is blocked with %(n)d working days of slack left", slack)
                     % {"step": name, "n": slack})
    if more_tight:
        amber.append(ngettext("and %(n)d more blocked step with little slack",
                              "and %(n)d more blocked steps with little slack", more_tight) % {"n": more_tight})
    if plan_check:
        amber.append(ngettext("%(n)d finding in the plan check", "%(n)d findings in the plan check", plan_check)
                     % {"n": plan_check})
    if infeasible:
        red.append(ngettext("%(n)d chain misses its deadline", "%(n)d chains miss their deadline", infeasible)
                   % {"n": infeasible})
    if overdue_critical:
        red.append(ngettext("%(n)d critical step is overdue", "%(n)d critical steps are overdue", overdue_critical)
                   % {"n": overdue_critical})
    if min_slack is not None and min_slack < 0 and not infeasible:
        red.append(ngettext("%(n)d working day behind the plan", "%(n)d working days behind the plan", -min_slack)
                   % {"n": -min_slack})
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
    infeasible = sum(1 for f in findings if f.get("kind") in ("deadline_missed", "gate_after_deadline", "unplannable"))
    overflow = sum(1 for f in findings if f.get("kind") == "capacity_overflow")
    return infeasible, overflow


def blocked_named(merger_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[tuple[str, int]]]]:
    """Blocked steps that decide the verdict, by merger (one query): those on the critical path (names),
    and the others whose slack is below the notice window (name, slack)."""
    notice = notice_days()
    lang = language_code()
    critical: dict[int, list[str]] = {}
    tight: dict[int, list[tuple[str, int]]] = {}
    rows = (
        Step.objects.filter(runbook__merger_id__in=merger_ids, status="blocked")
        .filter(Q(is_critical=True) | Q(total_slack__lt=notice))
        .order_by("total_slack", "sequence", "pk")
        .values_list("runbook__merger_id", "key", "name", "name_en", "is_critical", "total_slack")
    )
    for merger_id, key, name, name_en, is_critical, slack in rows:
        label = f"{key} {bilingual(name, name_en, lang)}"
        if is_critical:
            critical.setdefault(merger_id, []).append(label)
        else:
            tight.setdefault(merger_id, []).append((label, max(int(slack), 0)))
    return critical, tight


def merger_summaries(merger_ids: list[int]) -> dict[int, dict]:
    """One line of status per merger (four queries however many mergers and steps): progress, overdue,
    blocked, at risk, minimum slack, findings, plan-check count, and the red/amber/green verdict — the
    one verdict the landing page, the dashboard and the review page show."""
    on = today()
    open_ = ~Q(status__in=FINISHED_STATUSES)
    # the same weight as selectors.step_weight: working days, a milestone counts as 1
    weight = Case(When(duration_days=0, then=Value(1)), default=F("duration_days"), output_field=IntegerField())
    rows = (
        Step.objects.filter(runbook__merger_id__in=merger_ids)
        .values("runbook__merger_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status__in=FINISHED_STATUSES)),
            total_days=Sum(weight),
            done_days=Sum(weight, filter=Q(status__in=FINISHED_STATUSES)),
            at_risk=Count("id", filter=open_ & Q(at_risk=True)),
            overdue=Count("id", filter=open_ & Q(planned_finish__lt=on)),
            overdue_critical=Count("id", filter=open_ & Q(planned_finish__lt=on, is_critical=True)),
            blocked=Count("id", filter=Q(status="blocked")),
            min_slack=Min("total_slack", filter=open_),
        )
        .order_by()
    )
    by_merger = {r["runbook__merger_id"]: r for r in rows}
    findings, plan_checks = {}, {}
    for merger_id, stored, checked in Runbook.objects.filter(merger_id__in=merger_ids).values_list(
        "merger_id", "schedule_findings", "plan_check"
    ):
        findings[merger_id] = stored
        plan_checks[merger_id] = len(checked or [])
    blocked_critical, blocked_tight = blocked_named(merger_ids)
    no_gos = open_no_gos(merger_ids)
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
            blocked_critical=blocked_critical.get(merger_id), blocked_tight=blocked_tight.get(merger_id),
            plan_check=plan_checks.get(merger_id, 0), no_gos=no_gos.get(merger_id),
        )
        out[merger_id] = {
            **r,
            "done_days": done_days,
            "total_days": total_days,
            "percent": round(100.0 * done_days / total_days, 1) if total_days else 0.0,
            "infeasible": infeasible,
            "overflow": overflow,
            "has_runbook": merger_id in findings,
            "plan_check": plan_checks.get(merger_id, 0),
            "verdict": verdict,
            "no_gos": no_gos.get(merger_id, []),
            # larger = worse; used to sort mergers by risk
            "risk_score": (
                {"red": 2, "amber": 1, "green": 0}[verdict.level],
                len(no_gos.get(merger_id, [])),
                infeasible + r["overdue_critical"],
                r["overdue"] + r["blocked"] + r["at_risk"],
                -(r["min_slack"] if r["min_slack"] is not None else 10_000),
            ),
        }
    return out


def mergers_by_risk(merger_ids) -> list[tuple[Merger, dict]]:
    """The mergers with their summary (:func:`merger_summaries`), the worst first and by name among equals
    (six queries however many mergers). The whole country is ranked; a page shows a slice of it."""
    mergers = sorted(Merger.objects.filter(pk__in=list(merger_ids)), key=lambda m: m.name)
    summaries = merger_summaries([m.pk for m in mergers])
    return sorted(((m, summaries[m.pk]) for m in mergers), key=lambda ms: ms[1]["risk_score"], reverse=True)


def verdict_counts(ranked: list[tuple[Merger, dict]]) -> dict[str, int]:
    """How many of the ranked mergers are red, amber and green (every key present)."""
    counted = Counter(summary["verdict"].level for _, summary in ranked)
    return {level: counted.get(level, 0) for level in ("red", "amber", "green")}


# --- the pages' lists ------------------------------------------------------------------------------


def mergers_by_legal_date(merger_ids) -> list[Merger]:
    """The mergers ``merger_ids`` by legal date, then name: the landing page's order (one query)."""
    return list(Merger.objects.filter(pk__in=list(merger_ids)).order_by("legal_date", "name"))


def _dashboard_steps(merger: Merger):
    return Step.objects.filter(runbook__merger=merger).select_related("phase", "assignee_municipality")


def blocked_steps(merger: Merger, *, limit: int = 50) -> list[Step]:
    """The merger's first ``limit`` blocked steps by sequence, with phase and municipality (one query)."""
    return list(_dashboard_steps(merger).filter(status="blocked").order_by("sequence")[:limit])


def upcoming_milestones(merger: Merger, on: dt.date, *, limit: int = 8) -> list[Step]:
    """The merger's next ``limit`` unfinished milestones and checkpoints due on or after ``on`` (one query)."""
    return list(
        _dashboard_steps(merger).filter(kind__in=("milestone", "checkpoint"), planned_finish__gte=on)
        .exclude(status__in=FINISHED_STATUSES)
        .order_by("planned_finish", "sequence")[:limit]
    )


def burnup_rows(merger: Merger) -> list[tuple[str, int, dt.date | None, dt.date | None, str]]:
    """(kind, duration_days, planned_finish, actual_finish, status) of every step of the merger, unordered:
    what the burn-up chart counts (one query)."""
    return list(_dashboard_steps(merger).values_list(
        "kind", "duration_days", "planned_finish", "actual_finish", "status").order_by())


def recent_events(merger: Merger, *, limit: int = 10) -> list[Event]:
    """The latest ``limit`` audit events people (not the system) made in the merger, newest first (one query)."""
    return list(merger.events.filter(actor__isnull=False).select_related("actor").order_by("-created_at", "-id")[:limit])
