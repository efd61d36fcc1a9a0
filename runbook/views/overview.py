"""The overview pages: the landing page (the user's mergers with a one-line status), a merger's
dashboard and its printable status report. Each shows the one red/amber/green verdict of
``runbook.selectors.overview``."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.charts.svg import burnup, burnup_weekly
from core.clock import today
from core.formats import day
from municipalities.models import Merger
from municipalities.permissions import Action, MergerAccess, accesses_for
from municipalities.views import merger_or_404
from runbook.models import FINISHED_STATUSES
from runbook.selectors import steps as selectors
from runbook.selectors.overview import (
    blocked_steps,
    burnup_rows,
    countdown,
    merger_summaries,
    mergers_by_legal_date,
    recent_events,
    upcoming_milestones,
)

# --- landing page ---------------------------------------------------------------------------------


#: mergers a page on the landing page (an advisor of the whole country has 65; by risk: the review page)
HOME_PAGE_SIZE = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's mergers by legal date, each with a one-line status, HOME_PAGE_SIZE a page: only the
    page's mergers are summarised (eight queries however many mergers)."""
    accesses = accesses_for(request.user)
    mergers = mergers_by_legal_date(accesses)
    page = Paginator(mergers, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    summaries = merger_summaries([m.pk for m in page.object_list])
    on = today()
    rows = []
    for m in page.object_list:
        access = accesses[m.pk]
        rows.append({
            "merger": m,
            "summary": summaries[m.pk],
            "roles": sorted(access.roles),
            "days_to_legal": (m.legal_date - on).days,
        })
    return render(request, "municipalities/home.html", {"rows": rows, "page": page, "today": on})


# --- dashboard ------------------------------------------------------------------------------------


def _as_list(items) -> list:
    return list(items) if items is not None else []


def dashboard_context(merger: Merger, access: MergerAccess) -> dict:
    """Everything the dashboard and the status report show (a fixed number of queries)."""
    on = today()
    progress = selectors.progress_for_merger(merger)
    schedule = selectors.schedule_for_merger(merger)
    at_risk = _as_list(selectors.steps_at_risk(merger))
    overdue = _as_list(selectors.steps_overdue(merger))
    blocked = blocked_steps(merger, limit=50)
    upcoming = upcoming_milestones(merger, on, limit=8)
    findings = list(schedule.get("findings") or [])
    overall = progress.get("overall") or {}
    # the one verdict: the same selector the landing page and the review page use
    verdict = merger_summaries([merger.pk])[merger.pk]["verdict"]
    plan_check = list(schedule.get("plan_check") or [])
    go_lives = [
        {"step": s, "placement": selectors.placement_messages(
            s.placement, vendor=s.assignee_vendor.name if s.assignee_vendor_id else None)}
        for s in selectors.cutovers(merger)[:60]
    ]
    # the burn-up, week by week up to the planning date: work the plan had finished against work done (one
    # query); a finished step counts from its actual finish (a skipped one without it: its planned finish)
    burn = burnup_weekly(
        [(selectors.step_weight(kind, days), pf, (af or pf or on) if status in FINISHED_STATUSES else None)
         for kind, days, pf, af, status in burnup_rows(merger)],
        until=on,
    )
    chart = burnup(
        burn,
        title=_("Burn-up"),
        desc=_("Working days of work done per week against the work the plan had finished by then, up to the "
               "planning date."),
        legend={"done": _("Done"), "planned": _("Planned"), "total": _("Total scope"),
                "empty": _("Nothing to draw yet")},
        date_label=day,
        show_total=False,  # the scale of the work planned and done so far; the note says the total
    )
    waves = [w for w in (schedule.get("waves") or []) if w.get("milestone_date") and str(w["milestone_date"]) >= str(on)]
    at_risk_rows = [
        {"step": s, "reasons": [selectors.risk_reason_message(r) for r in (s.risk_reasons or []) if isinstance(r, dict)]}
        for s in at_risk[:50]
    ]
    return {
        "merger": merger,
        "access": access,
        "can_edit_merger": access.allows(Action.EDIT_MERGER),
        "today": on,
        "members": list(merger.members.order_by("name")),
        "countdown": countdown(merger, on),
        "progress": progress,
        "overall": overall,
        "schedule": schedule,
        "findings": findings,
        "plan_check": plan_check,
        "plan_check_count": len(plan_check),
        "go_lives": go_lives,
        "at_risk": at_risk_rows,
        "at_risk_count": len(at_risk),
        "overdue": overdue[:50],
        "overdue_count": len(overdue),
        "blocked": blocked,
        "upcoming": upcoming,
        "next_waves": waves[:5],
        "verdict": verdict,
        "burnup_svg": mark_safe(chart),  # noqa: S308 - built by core.charts.svg, which escapes every text
        "burnup_weeks": len(burn),
        "burnup_last": burn[-1] if burn else None,
    }


@login_required
def merger_dashboard(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The merger at a glance: countdown, dispensation, progress, what is late, findings, RAG, burn-up."""
    merger, access = merger_or_404(request, merger_id)
    # what people changed lately, read through the merger; the page renders them as sentences
    recent = recent_events(merger, limit=10)
    return render(request, "municipalities/dashboard.html", {**dashboard_context(merger, access), "recent_events": recent})


@login_required
def status_report(request: HttpRequest, merger_id: int) -> HttpResponse:
    """A printable one-page summary for the merger committee."""
    merger, access = merger_or_404(request, merger_id)
    return render(request, "municipalities/report.html", dashboard_context(merger, access))
