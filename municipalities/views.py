"""Pages about mergers: the landing page, the dashboard, the status report and the user's settings.

Also the small helpers every page uses: the merger a user may see (or 404), a safe "next" URL, the
one-line status of many mergers in a fixed number of queries, and the red/amber/green verdict.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from mergeplan.clock import today
from mergeplan.exceptions import ApplicationError
from mergeplan.svg import BurnPoint, burnup

from .forms import ApiTokenForm
from .models import ApiToken, FeedToken, Merger
from .permissions import MergerAccess, accesses_for, merger_access

FINISHED = ("done", "skipped")


# --- helpers shared by the pages ------------------------------------------------------------------


def merger_or_404(request: HttpRequest, merger_id: int) -> tuple[Merger, MergerAccess]:
    """The merger and the user's access to it; 404 when the user has no role in it (two queries)."""
    access = merger_access(request.user, merger_id)
    if not access.can_view:
        raise Http404(_("No such merger."))
    try:
        merger = Merger.objects.get(pk=merger_id)
    except Merger.DoesNotExist as exc:
        raise Http404(_("No such merger.")) from exc
    return merger, access


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of the request when it points at this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return fallback


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


def _finding_counts(findings) -> tuple[int, int]:
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
        infeasible, overflow = _finding_counts(findings.get(merger_id))
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


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- landing page ---------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's mergers, each with a one-line status."""
    accesses = accesses_for(request.user)
    mergers = list(Merger.objects.filter(pk__in=list(accesses)).order_by("legal_date", "name"))
    summaries = merger_summaries([m.pk for m in mergers])
    on = today()
    rows = []
    for m in mergers:
        access = accesses[m.pk]
        rows.append({
            "merger": m,
            "summary": summaries[m.pk],
            "roles": sorted(access.roles),
            "days_to_legal": (m.legal_date - on).days,
        })
    return render(request, "municipalities/home.html", {"rows": rows, "today": on})


# --- dashboard ------------------------------------------------------------------------------------


def _as_list(items) -> list:
    return list(items) if items is not None else []


def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def dashboard_context(merger: Merger, access: MergerAccess) -> dict:
    """Everything the dashboard and the status report show (a fixed number of queries)."""
    from runbook import selectors
    from runbook.models import ProgressSnapshot, Step

    on = today()
    progress = selectors.progress_for_merger(merger)
    schedule = selectors.schedule_for_merger(merger)
    at_risk = _as_list(selectors.steps_at_risk(merger))
    overdue = _as_list(selectors.steps_overdue(merger))
    base = Step.objects.filter(runbook__merger=merger).select_related("phase", "assignee_municipality")
    blocked = list(base.filter(status="blocked").order_by("sequence")[:50])
    upcoming = list(
        base.filter(kind__in=("milestone", "checkpoint"), planned_finish__gte=on)
        .exclude(status__in=FINISHED)
        .order_by("planned_finish", "sequence")[:8]
    )
    findings = list(schedule.get("findings") or [])
    infeasible, overflow = _finding_counts(findings)
    critical_ids = set(schedule.get("critical_path") or [])
    overdue_critical = sum(1 for s in overdue if _get(s, "is_critical") or _get(s, "id") in critical_ids)
    overall = progress.get("overall") or {}
    slacks = [_get(s, "total_slack") for s in at_risk if _get(s, "total_slack") is not None]
    verdict = rag(
        overdue=len(overdue), overdue_critical=overdue_critical, at_risk=len(at_risk), blocked=len(blocked),
        min_slack=min(slacks) if slacks else None, infeasible=infeasible, overflow=overflow,
    )
    snapshots = list(
        ProgressSnapshot.objects.filter(runbook__merger=merger).order_by("date")
        .values_list("date", "done_days", "planned_done_days", "total_days")
    )
    chart = burnup(
        [BurnPoint(d, done, planned, total) for d, done, planned, total in snapshots],
        title=_("Burn-up"),
        desc=_("Working days of work done per day against the plan and the total scope."),
        legend={"done": _("Done"), "planned": _("Planned"), "total": _("Total scope"),
                "empty": _("No daily snapshots yet.")},
    )
    waves = [w for w in (schedule.get("waves") or []) if w.get("milestone_date") and str(w["milestone_date"]) >= str(on)]
    at_risk_rows = [
        {"step": s, "reasons": [selectors.risk_reason_message(r) for r in (s.risk_reasons or []) if isinstance(r, dict)]}
        for s in at_risk[:50]
    ]
    return {
        "merger": merger,
        "access": access,
        "today": on,
        "members": list(merger.members.order_by("name")),
        "countdown": countdown(merger, on),
        "progress": progress,
        "overall": overall,
        "schedule": schedule,
        "findings": findings,
        "at_risk": at_risk_rows,
        "at_risk_count": len(at_risk),
        "overdue": overdue[:50],
        "overdue_count": len(overdue),
        "blocked": blocked,
        "upcoming": upcoming,
        "next_waves": waves[:5],
        "verdict": verdict,
        "burnup_svg": mark_safe(chart),  # noqa: S308 - built by mergeplan.svg, which escapes every text
        "snapshot_count": len(snapshots),
    }


@login_required
def merger_dashboard(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The merger at a glance: countdown, dispensation, progress, what is late, findings, RAG, burn-up."""
    merger, access = merger_or_404(request, merger_id)
    return render(request, "municipalities/dashboard.html", dashboard_context(merger, access))


@login_required
def status_report(request: HttpRequest, merger_id: int) -> HttpResponse:
    """A printable one-page summary for the merger committee."""
    merger, access = merger_or_404(request, merger_id)
    return render(request, "municipalities/report.html", dashboard_context(merger, access))


# --- settings: API tokens and the calendar feed ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: create one (its value is shown once) and see the others."""
    from municipalities.tokens import api_token_create

    created_raw = None
    form = ApiTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, created_raw = api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    read_only=form.cleaned_data["read_only"],
                    expires_days=form.cleaned_data["expires_days"],
                )
            except ApplicationError as exc:
                form.add_application_error(exc)
                status = 422
            else:
                form = ApiTokenForm()
                status = 201
        else:
            status = 422
    tokens = list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))
    return render(
        request, "municipalities/settings_tokens.html",
        {"form": form, "tokens": tokens, "created_raw": created_raw}, status=status,
    )


@login_required
@require_POST
def settings_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's API tokens (someone else's token is a 404)."""
    from municipalities.tokens import api_token_revoke

    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404(_("No such token."))
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("settings-tokens")


@login_required
@require_http_methods(["GET", "POST"])
def settings_feed(request: HttpRequest) -> HttpResponse:
    """The calendar feed: create a link (shown once, one URL per merger) or revoke the current one."""
    from municipalities.tokens import feed_token_create, feed_token_revoke, feed_url

    accesses = accesses_for(request.user)
    mergers = list(Merger.objects.filter(pk__in=list(accesses)).order_by("name"))
    links = []
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            for token in FeedToken.objects.filter(user=request.user, revoked_at__isnull=True):
                feed_token_revoke(token=token, actor=request.user)
            messages.success(request, _("Your calendar links are revoked."))
            return redirect("settings-feed")
        _token, raw = feed_token_create(user=request.user)
        links = [{"merger": m, "url": feed_url(request, m.pk, raw)} for m in mergers]
    active = list(FeedToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created_at"))
    return render(
        request, "municipalities/settings_feed.html",
        {"links": links, "active": active, "mergers": mergers},
        status=201 if links else 200,
    )


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("settings-tokens"))
