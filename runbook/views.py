"""Pages of the runbook: the step list, a step's detail, status changes, comments, sign-offs, the timeline
and the review of checkpoints. Reads are a fixed number of queries per page; writes go through
``runbook.services``; permission comes from ``municipalities.permissions``."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mergeplan.clock import today
from mergeplan.exceptions import ApplicationError, ConflictError
from mergeplan.svg import DateLine, GanttLabels, GanttRow, Shade, gantt
from municipalities.models import Merger, Role
from municipalities.permissions import Action, MergerAccess, accesses_for
from municipalities.selectors import merger_summaries
from municipalities.views import form_refusal, is_htmx, merger_or_404, safe_next

from . import services
from .forms import CommentForm, SignoffForm, StepFilterForm, StepTransitionForm
from .models import (
    Baseline,
    BaselineEntry,
    CheckpointSignoff,
    Comment,
    Dependency,
    Event,
    FreezeWindow,
    Phase,
    SignoffDecision,
    Step,
    StepKind,
    StepStatus,
    Wave,
)
from .selectors import placement_messages, step_change_message

#: The order the next statuses are offered in: the usual move forward first.
_STATUS_ORDER = [StepStatus.IN_PROGRESS, StepStatus.DONE, StepStatus.BLOCKED, StepStatus.NOT_STARTED,
                 StepStatus.SKIPPED]

#: The audit verbs in words.
VERB_LABELS = {
    "status_changed": gettext_lazy("changed the status"),
    "step_updated": gettext_lazy("changed the plan"),
    "checkpoint_signed": gettext_lazy("signed"),
    "commented": gettext_lazy("commented"),
    "dependency_added": gettext_lazy("added a predecessor"),
    "dependency_removed": gettext_lazy("removed a predecessor"),
    "rescheduled": gettext_lazy("rescheduled"),
    "step_rescheduled": gettext_lazy("moved the planned dates"),
}
_FINISHED = (StepStatus.DONE, StepStatus.SKIPPED)


def allowed_transitions(step: Step) -> list[str]:
    """The statuses a step may move to next, in the usual order."""
    return [s for s in _STATUS_ORDER if s in services.TRANSITIONS[step.status]]


def _steps(merger: Merger):
    return Step.objects.filter(runbook__merger=merger).select_related(
        "phase", "owner", "assignee_municipality", "assignee_vendor", "domain"
    )


def _filter_choices(merger: Merger) -> dict:
    """Phases, member municipalities and domains of a merger as filter choices (three queries)."""
    phases = [
        {"id": p.pk, "label": f"{p.number}. {p.display_name()}"}
        for p in Phase.objects.filter(template__runbooks__merger=merger).order_by("number")
    ]
    municipalities = [{"id": pk, "label": name} for pk, name in merger.members.order_by("name").values_list("pk", "name")]
    from systems.models import Domain

    domains = [
        {"id": d.pk, "label": d.display_name()}
        for d in Domain.objects.filter(harmonisations__merger=merger).order_by("position", "code").distinct()
    ]
    return {"phases": phases, "municipalities": municipalities, "domains": domains}


def _apply_filters(qs, filters: dict, user):
    if filters.get("phase"):
        qs = qs.filter(phase_id=filters["phase"])
    if filters.get("municipality"):
        qs = qs.filter(assignee_municipality_id=filters["municipality"])
    if filters.get("domain"):
        qs = qs.filter(domain_id=filters["domain"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("critical"):
        qs = qs.filter(is_critical=True)
    if filters.get("conversion"):
        qs = qs.filter(conversion_id=filters["conversion"])
    if filters.get("mine"):
        cond = Q(owner=user)
        access = filters.get("_access")
        if access is not None:
            if access.municipality_ids:
                cond |= Q(assignee_municipality_id__in=access.municipality_ids)
            if access.vendor_ids:
                cond |= Q(assignee_vendor_id__in=access.vendor_ids)
        qs = qs.filter(cond)
    return qs


def step_placement(step: Step) -> list[str]:
    """Why the step's go-live sits where it does, in words (cutovers; the vendor must be loaded)."""
    if not step.placement:
        return []
    vendor = step.assignee_vendor.name if step.assignee_vendor_id else None
    return placement_messages(step.placement, vendor=vendor)


def _row_context(step: Step, access: MergerAccess, *, form=None, message: str = "") -> dict:
    can_change = access.allows(Action.TRANSITION_STEP, step)
    return {
        "step": step,
        "placement": step_placement(step),
        "can_change": can_change,
        "allowed": [(s, StepStatus(s).label) for s in allowed_transitions(step)] if can_change else [],
        "form": form,
        "message": message,
        "today": today(),
    }


# --- runbook --------------------------------------------------------------------------------------


@login_required
def runbook_list(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The steps grouped by phase, with status, owner, dates and slack; filters; in-place status change."""
    merger, access = merger_or_404(request, merger_id)
    choices = _filter_choices(merger)
    form = StepFilterForm(request.GET or None, **choices)
    filters = form.filters() if request.GET else {}
    filters["_access"] = access
    steps = list(_apply_filters(_steps(merger), filters, request.user).order_by("phase__number", "sequence", "pk"))
    rows = [_row_context(s, access) for s in steps]
    return render(
        request,
        "runbook/runbook.html",
        {"merger": merger, "access": access, "form": form, "rows": rows, "count": len(rows), "today": today(),
         "filtered": bool(request.GET)},
    )


def _step_or_404(merger: Merger, step_id: int) -> Step:
    step = _steps(merger).select_related("runbook", "wave", "template_step").filter(pk=step_id).first()
    if step is None:
        raise Http404(_("No such step."))
    return step


def _step_detail_context(request, merger, access, step, *, transition_form=None, comment_form=None,
                         sign_form=None) -> dict:
    preds = list(
        Dependency.objects.filter(successor=step).select_related("predecessor").order_by("predecessor__sequence")
    )
    succs = list(
        Dependency.objects.filter(predecessor=step).select_related("successor").order_by("successor__sequence")
    )
    comments = list(Comment.objects.filter(step=step).select_related("author").order_by("created_at", "pk"))
    events = list(
        Event.objects.filter(content_type__app_label="runbook", content_type__model="step", object_id=step.pk)
        .select_related("actor").order_by("-created_at", "-pk")[:100]
    )
    for e in events:
        e.verb_label = VERB_LABELS.get(e.verb, e.verb.replace("_", " "))
    signoffs = list(CheckpointSignoff.objects.filter(step=step).select_related("user").order_by("signed_at"))
    blockers = services.blocking_predecessors(preds)
    missing = [Role(r).label for r in services.missing_go_roles(signoffs)]
    can_sign = (
        step.kind == StepKind.CHECKPOINT and step.status not in _FINISHED
        and access.signing_role() is not None and access.allows(Action.SIGN_CHECKPOINT, step)
    )
    row = _row_context(step, access)
    return {
        **row,
        "merger": merger,
        "access": access,
        "preds": preds,
        "succs": succs,
        "blockers": blockers,
        "comments": comments,
        "events": events,
        "signoffs": signoffs,
        "missing_signoffs": missing if step.kind == StepKind.CHECKPOINT else [],
        "can_comment": access.allows(Action.COMMENT),
        "can_sign": can_sign,
        "signing_role": Role(access.signing_role()).label if access.signing_role() else "",
        "transition_form": transition_form
        or StepTransitionForm(initial={"version": step.version}, allowed=allowed_transitions(step)),
        "comment_form": comment_form or CommentForm(),
        "sign_form": sign_form or SignoffForm(),
    }


@login_required
def step_detail(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """A step with its predecessors and successors, sign-offs, comments and audit history."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    return render(request, "runbook/step_detail.html", _step_detail_context(request, merger, access, step))


@login_required
@require_http_methods(["GET", "POST"])
def step_transition(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Change a step's status (a form post or htmx). Errors come back on the form with the input kept.

    GET with htmx returns the row's status form (loaded when the row's "change status" opens); a plain GET
    goes to the step's page, where the same form is."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if request.method == "GET":
        if not is_htmx(request):
            return redirect(step.get_absolute_url() + "#h-status")
        if not access.allows(Action.TRANSITION_STEP, step):
            return HttpResponse(_("You may not change the status of this step."), status=403)
        return render(request, "includes/_status_form_row.html", {
            **_row_context(step, access), "merger": merger,
            "next_url": request.htmx.current_url_abs_path or step.get_absolute_url(),
        })
    ui = request.POST.get("ui", "detail")
    form = StepTransitionForm(request.POST, allowed=allowed_transitions(step))
    status = 200
    if not access.allows(Action.TRANSITION_STEP, step):
        form.is_valid()
        form.add_error(None, _("You may not change the status of this step."))
        status = 403
    elif form.is_stale(step.version):
        # before the choices: they follow the newer status, and would call the old choice "invalid"
        form.refuse_as_stale(step_change_message(step))
        status = 409
    elif form.is_valid():
        data = form.cleaned_data
        try:
            services.step_transition(
                step=step, status=data["status"], actor=request.user,
                override_reason=data["override_reason"], reason=data["reason"],
                expected_version=data["version"],
            )
        except ConflictError:  # changed between our read and the service's lock
            step = _step_or_404(merger, step_id)
            form.refuse_as_stale(step_change_message(step))
            status = 409
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            step = _step_or_404(merger, step_id)
            done_msg = _("Status of %(key)s changed to “%(status)s”.") % {
                "key": step.key, "status": step.get_status_display()}
            if is_htmx(request) and ui == "row":
                return render(request, "includes/_step_row.html",
                              {**_row_context(step, access, message=done_msg), "merger": merger})
            messages.success(request, done_msg)
            return redirect(safe_next(request, step.get_absolute_url()))
    elif form.has_error("version"):  # a form without its version would overwrite blindly
        for error in form.errors["version"]:
            form.add_error(None, error)
        status = 400
    else:
        status = 422
    if is_htmx(request) and ui == "row":
        return render(request, "includes/_step_row.html",
                      {**_row_context(step, access, form=form), "merger": merger}, status=status)
    return render(
        request, "runbook/step_detail.html",
        _step_detail_context(request, merger, access, step, transition_form=form), status=status,
    )


@login_required
@require_POST
def step_comment(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Add a comment to a step."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    form = CommentForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.comment_add(step=step, author=request.user, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Your comment is added."))
            return redirect(step.get_absolute_url() + "#comments")
    return render(
        request, "runbook/step_detail.html",
        _step_detail_context(request, merger, access, step, comment_form=form), status=status,
    )


@login_required
@require_POST
def checkpoint_sign(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Sign a checkpoint go or no go, with a comment (from the step page or the review page)."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    form = SignoffForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.checkpoint_sign(
                step=step, actor=request.user, decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            done_msg = _("Your sign-off of %(key)s is recorded.") % {"key": step.key}
            if is_htmx(request) and request.POST.get("ui") == "review":
                step = _step_or_404(merger, step_id)
                step.runbook.merger = merger
                return render(request, "includes/_checkpoint_card.html",
                              {"item": _review_item(step, access), "merger": merger, "message": done_msg})
            messages.success(request, done_msg)
            return redirect(safe_next(request, step.get_absolute_url()))
    if is_htmx(request) and request.POST.get("ui") == "review":
        step.runbook.merger = merger
        return render(request, "includes/_checkpoint_card.html",
                      {"item": _review_item(step, access, form=form), "merger": merger}, status=status)
    return render(
        request, "runbook/step_detail.html",
        _step_detail_context(request, merger, access, step, sign_form=form), status=status,
    )


# --- timeline -------------------------------------------------------------------------------------


def timeline_windows(merger: Merger, start: dt.date, end: dt.date) -> list[dict]:
    """The dated windows that close days for the merger: freeze windows and the calendar rules
    (fællesferie, payroll runs, year-end) expanded over the chart's years, national and the merger's own.
    Dicts with name, start, end, vendor__code, domain__code, merger_id, blocks (two queries)."""
    from . import planning

    expand = getattr(planning, "calendar_windows", None)
    if expand is not None:
        return expand(years=range(start.year, end.year + 1), merger_id=merger.pk)
    return list(  # pragma: no cover - before the rules were expanded
        FreezeWindow.objects.filter(Q(merger=merger) | Q(merger__isnull=True))
        .order_by("start").values("name", "start", "end", "vendor__code", "domain__code", "merger_id", "blocks")
    )


def window_label(window: dict) -> str:
    """A window in words: its name, what it applies to, and what it blocks."""
    scope = ", ".join(x for x in (window.get("domain__code"), window.get("vendor__code")) if x)
    blocks = (_("no go-live and no user work") if window.get("blocks") == "work" else _("no go-live"))
    name = f"{window['name']} ({scope})" if scope else window["name"]
    return f"{name}: {date_format(window['start'], 'j. b. Y')} – {date_format(window['end'], 'j. b. Y')} · {blocks}"



@login_required
def timeline(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The Gantt chart of the merger's runbook, drawn on the server as SVG."""
    merger, access = merger_or_404(request, merger_id)
    choices = _filter_choices(merger)
    form = StepFilterForm(request.GET or None, with_status=False, **choices)
    filters = form.filters() if request.GET else {}
    steps = list(
        _apply_filters(Step.objects.filter(runbook__merger=merger).select_related("phase"), filters, request.user)
        .order_by("phase__number", "planned_start", "sequence", "pk")
        .only("id", "key", "name", "name_en", "kind", "status", "planned_start", "planned_finish",
              "is_critical", "at_risk", "total_slack", "runbook__merger_id", "phase__number", "phase__name",
              "phase__name_en")
    )
    baseline = Baseline.objects.filter(runbook__merger=merger).order_by("-captured_at").first()
    ghosts = {}
    if baseline is not None:
        ghosts = {
            sid: (s, f) for sid, s, f in
            BaselineEntry.objects.filter(baseline=baseline).values_list("step_id", "planned_start", "planned_finish")
        }
    waves = list(Wave.objects.filter(runbook__merger=merger).order_by("number"))
    on = today()
    dated = [s for s in steps if s.planned_start and s.planned_finish]
    lo = min([s.planned_start for s in dated] + [on])
    hi = max([s.planned_finish for s in dated] + [merger.legal_date])
    start = lo - dt.timedelta(days=7)
    end = hi + dt.timedelta(days=14)
    freezes = [{**f, "label": window_label(f)} for f in timeline_windows(merger, start, end)
               if f["end"] >= start and f["start"] <= end]
    critical_word = _("critical")
    rows = []
    for s in steps:
        g = ghosts.get(s.pk, (None, None))
        slack = "" if s.total_slack is None else " · " + _("slack %(n)d") % {"n": s.total_slack}
        rows.append(GanttRow(
            id=s.pk,
            label=f"{s.key} {s.display_name()}",
            group=f"{s.phase.number}. {s.phase.display_name()}",
            start=s.planned_start, finish=s.planned_finish, status=s.status, kind=s.kind,
            critical=s.is_critical, at_risk=s.at_risk,
            href=reverse("step-detail", kwargs={"merger_id": merger.pk, "step_id": s.pk}),
            baseline_start=g[0], baseline_finish=g[1],
            tooltip=f"{s.key} {s.display_name()}: {s.planned_start} – {s.planned_finish} · "
                    f"{s.get_status_display()}{slack}{(' · ' + critical_word) if s.is_critical else ''}",
        ))
    lines = [DateLine(on, _("Today"), "today"), DateLine(merger.legal_date, _("Legal date"), "legal")]
    if merger.dispensation_date:
        lines.append(DateLine(merger.dispensation_date,
                              _("Dispensation (%(state)s)") % {"state": merger.get_dispensation_status_display()},
                              "dispensation"))
    for w in waves:
        if w.milestone_date:
            lines.append(DateLine(w.milestone_date, _("Wave %(n)d") % {"n": w.number}, "wave"))
    shades = [Shade(f["start"], f["end"], f["label"], css=f"blocks-{f.get('blocks') or 'go_live'}") for f in freezes]
    months = [_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"), _("Aug"), _("Sep"),
              _("Oct"), _("Nov"), _("Dec")]
    svg = gantt(
        rows, start=start, end=end, lines=lines, shades=shades,
        labels=GanttLabels(
            title=_("Timeline of %(merger)s") % {"merger": merger.name},
            desc=_("%(n)d steps by phase from %(start)s to %(end)s; critical steps are hatched and marked.")
            % {"n": len(rows), "start": start, "end": end},
            critical=critical_word, baseline=_("Baseline"),
        ),
        month_names=months,
    )
    return render(request, "runbook/timeline.html", {
        "merger": merger, "access": access, "form": form, "svg": mark_safe(svg),  # noqa: S308 - escaped in svg
        "count": len(rows), "undated": len(steps) - len(dated), "baseline": baseline, "freezes": freezes,
        "waves": waves, "critical_count": sum(1 for s in steps if s.is_critical), "today": on,
    })


# --- review ---------------------------------------------------------------------------------------


def _review_item(step: Step, access: MergerAccess, *, form=None) -> dict:
    signoffs = list(step.signoffs.all())
    role = access.signing_role()
    mine = next((s for s in signoffs if s.role == role), None)
    return {
        "step": step,
        "signoffs": signoffs,
        "mine": mine,
        "role_label": Role(role).label if role else "",
        "form": form or SignoffForm(initial={"next": reverse("review")}),
    }


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """Checkpoints awaiting the user's sign-off across their mergers, and every merger they serve,
    sorted by risk (five queries whatever the number of mergers)."""
    accesses = accesses_for(request.user)
    signable = [mid for mid, a in accesses.items() if a.signing_role() and a.allows(Action.SIGN_CHECKPOINT)]
    checkpoints = list(
        Step.objects.filter(runbook__merger_id__in=signable, kind=StepKind.CHECKPOINT)
        .exclude(status__in=_FINISHED)
        .select_related("runbook__merger", "phase")
        .prefetch_related("signoffs__user")
        .order_by("planned_finish", "runbook__merger__name", "sequence")
    )
    items = [_review_item(s, accesses[s.runbook.merger_id]) for s in checkpoints]
    awaiting = [i for i in items if i["mine"] is None or i["mine"].decision != SignoffDecision.GO]
    signed = [i for i in items if i not in awaiting]
    mergers = list(Merger.objects.filter(pk__in=list(accesses)))
    summaries = merger_summaries([m.pk for m in mergers])
    ranked = sorted(mergers, key=lambda m: (summaries[m.pk]["risk_score"], m.name), reverse=True)
    rows = [{"merger": m, "summary": summaries[m.pk], "roles": sorted(accesses[m.pk].roles)} for m in ranked]
    advisor = any(Role.VENDOR_ADVISOR in a.roles for a in accesses.values())
    return render(request, "runbook/review.html", {
        "awaiting": awaiting, "signed": signed, "rows": rows, "advisor": advisor, "today": today(),
    })
