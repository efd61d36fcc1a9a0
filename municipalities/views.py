"""Pages about mergers: the landing page, the dashboard, the status report and the user's settings.

Also the small helpers every page uses: the merger a user may see (or 404), a safe "next" URL, the
one-line status of many mergers in a fixed number of queries, and the red/amber/green verdict.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.formats import day
from core.charts.svg import burnup, burnup_weekly

from .forms import ApiTokenForm, DispensationForm
from .models import ApiToken, FeedToken, Merger
from .permissions import Action, MergerAccess, accesses_for, merger_access
from .selectors import FINISHED, countdown, dispensation_window, merger_summaries

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


def form_refusal(form, exc: ApplicationError) -> int:
    """Show a service's refusal on the form (on its field where it names one) and return the status:
    403 not allowed, 409 changed by someone else meanwhile, 422 a rule of the domain said no."""
    if isinstance(exc, PermissionDeniedError | ConflictError):
        form.add_error(None, exc.message)
        return 403 if isinstance(exc, PermissionDeniedError) else 409
    form.add_application_error(exc)
    return 422


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- landing page ---------------------------------------------------------------------------------


#: mergers a page on the landing page (an advisor of the whole country has 65; by risk: the review page)
HOME_PAGE_SIZE = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's mergers by legal date, each with a one-line status, HOME_PAGE_SIZE a page: only the
    page's mergers are summarised (eight queries however many mergers)."""
    accesses = accesses_for(request.user)
    mergers = list(Merger.objects.filter(pk__in=list(accesses)).order_by("legal_date", "name"))
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
    from runbook import selectors
    from runbook.models import Step

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
        [(selectors.step_weight(kind, days), pf, (af or pf or on) if status in FINISHED else None)
         for kind, days, pf, af, status in base.values_list(
             "kind", "duration_days", "planned_finish", "actual_finish", "status").order_by()],
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
    recent = list(merger.events.filter(actor__isnull=False).select_related("actor").order_by("-created_at", "-id")[:10])
    return render(request, "municipalities/dashboard.html", {**dashboard_context(merger, access), "recent_events": recent})


@login_required
def status_report(request: HttpRequest, merger_id: int) -> HttpResponse:
    """A printable one-page summary for the merger committee."""
    merger, access = merger_or_404(request, merger_id)
    return render(request, "municipalities/report.html", dashboard_context(merger, access))


@login_required
@require_http_methods(["GET", "POST"])
def merger_dispensation(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The IT chief records the dispensation (applied, granted with its date, refused); the plan is
    recomputed in the background. Others who see the merger get 403, outsiders 404."""
    from .services import merger_dispensation_set

    merger, access = merger_or_404(request, merger_id)
    if not access.allows(Action.EDIT_MERGER):
        raise PermissionDenied(_("Only the IT chief may change the dispensation."))
    initial = {
        "dispensation_status": merger.dispensation_status,
        "dispensation_date": merger.dispensation_date,
        "dispensation_reference": merger.dispensation_reference,
        "version": merger.version,
    }
    form = DispensationForm(request.POST or None, initial=initial, window=dispensation_window(merger))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                merger_dispensation_set(
                    merger=merger, actor=request.user, status=data["dispensation_status"],
                    date=data["dispensation_date"], reference=data["dispensation_reference"],
                    expected_version=data["version"],
                )
            except ApplicationError as exc:
                status = form_refusal(form, exc)
            else:
                messages.success(request, _("The dispensation is saved; the plan is being recomputed."))
                return redirect(merger.get_absolute_url())
    return render(request, "municipalities/dispensation.html", {"merger": merger, "form": form}, status=status)


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
