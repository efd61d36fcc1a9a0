"""My steps: the steps that concern the user across every merger they serve (``work_selectors``), with
filters, pagination and a bulk status change through ``services.step_transition`` — each step in its own
transaction, with a result per step (done, or refused and why)."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from municipalities.models import Merger
from municipalities.permissions import Action, MergerAccess, accesses_for
from runbook import services
from runbook.forms.my_steps import EVERY, BulkTransitionForm, MyStepsFilterForm
from runbook.models import FINISHED_STATUSES, Phase, Step, StepStatus
from runbook.selectors.my_steps import steps_concerning

PAGE_SIZE = 50


def _choices(accesses: dict[int, MergerAccess]) -> dict:
    """The user's mergers and their drejebog's phases as filter choices (two queries)."""
    ids = list(accesses)
    mergers = list(Merger.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))
    phases: dict[int, str] = {}
    # distinct: the country's 65 runbooks share one drejebog, whose phases the join would repeat 65 times
    for p in Phase.objects.filter(template__runbooks__merger_id__in=ids).distinct().order_by("number", "-template_id"):
        phases.setdefault(p.number, f"{p.number}. {p.display_name()}")
    return {"mergers": mergers, "phases": sorted(phases.items())}


def _filtered(qs, filters: dict, accesses: dict[int, MergerAccess], on: dt.date):
    if filters.get("merger") in accesses:
        qs = qs.filter(runbook__merger_id=filters["merger"])
    status = filters.get("status") or ""
    if status == "":
        qs = qs.exclude(status__in=FINISHED_STATUSES)
    elif status != EVERY:
        qs = qs.filter(status=status)
    if filters.get("phase"):
        qs = qs.filter(phase__number=filters["phase"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    due = filters.get("due") or ""
    if due == "overdue":
        qs = qs.exclude(status__in=FINISHED_STATUSES).filter(planned_finish__lt=on)
    elif due.isdigit():
        qs = qs.filter(planned_finish__gte=on, planned_finish__lte=on + dt.timedelta(days=int(due)))
    return qs


def _context(request: HttpRequest, accesses: dict[int, MergerAccess], *, bulk_form=None, results=None) -> dict:
    on = today()
    form = MyStepsFilterForm(request.GET or None, **_choices(accesses))
    filters = form.filters() if request.GET else {}
    qs = _filtered(steps_concerning(request.user, accesses), filters, accesses, on)
    # the page's ids first (a narrow sort, however many steps the country has), then those 50 rows whole
    ids = qs.order_by(F("planned_finish").asc(nulls_last=True), "runbook__merger__name", "sequence", "pk")
    page = Paginator(ids.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page_ids = list(page.object_list)
    loaded = Step.objects.filter(pk__in=page_ids).select_related(
        "runbook__merger", "phase", "owner", "assignee_municipality", "assignee_vendor").in_bulk()
    steps = [loaded[pk] for pk in page_ids if pk in loaded]
    rows = [{"step": s, "can_change": accesses[s.runbook.merger_id].allows(Action.TRANSITION_STEP, s)}
            for s in steps]
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form, "page": page, "rows": rows, "today": on, "query": query.urlencode(),
        "filtered": bool(request.GET.keys() - {"page"}),
        "bulk_form": bulk_form or BulkTransitionForm(),
        "changeable": any(r["can_change"] for r in rows),
        "results": results,
    }


@login_required
def my_steps(request: HttpRequest) -> HttpResponse:
    """The steps that concern the user across their mergers, soonest due first, 50 a page (eight queries
    whatever the number of mergers and steps)."""
    return render(request, "runbook/my_steps.html", _context(request, accesses_for(request.user)))


def _refusal(exc: ApplicationError) -> str:
    if isinstance(exc, ConflictError):
        return _("Someone else changed the step first. Reload and try again.")
    return exc.message


@login_required
@require_POST
def my_steps_bulk(request: HttpRequest) -> HttpResponse:
    """Move the chosen steps to one status. Each step goes through ``services.step_transition`` in its own
    transaction with the version the user read: a refused step (not allowed, changed meanwhile, a rule
    of the runbook) stays as it was and is listed with the reason; the others are changed and audited.
    Answers 200 when at least one step changed, 409/403/422 when every one was refused, 400 on bad input."""
    accesses = accesses_for(request.user)
    form = BulkTransitionForm(request.POST)
    if not form.is_valid():
        return render(request, "runbook/my_steps.html", _context(request, accesses, bulk_form=form), status=400)
    data = form.cleaned_data
    chosen = dict(form.chosen)
    found = {s.pk: s for s in steps_concerning(request.user, accesses).filter(pk__in=list(chosen))
             .select_related("runbook__merger")}
    results, refused = [], []
    for pk, version in form.chosen:
        step = found.get(pk)
        if step is None:
            results.append({"id": pk, "step": None, "ok": False, "message": _("Not one of your steps.")})
            refused.append(None)
            continue
        try:
            changed = services.step_transition(
                step=step, status=data["status"], actor=request.user, override_reason=data["override_reason"],
                reason=data["reason"], expected_version=version,
            )
        except ApplicationError as exc:
            results.append({"id": pk, "step": step, "ok": False, "message": _refusal(exc)})
            refused.append(exc)
        else:
            changed.runbook = step.runbook
            results.append({"id": pk, "step": changed, "ok": True,
                            "message": _("Changed to “%(status)s”.") % {"status": StepStatus(changed.status).label}})
    done = len(results) - len(refused)
    status = 200
    if not done:
        if all(isinstance(e, ConflictError) for e in refused):
            status = 409
        elif all(isinstance(e, PermissionDeniedError) or e is None for e in refused):
            status = 403
        else:
            status = 422
    summary = {"done": done, "refused": len(refused), "items": results}
    return render(request, "runbook/my_steps.html",
                  _context(request, accesses, bulk_form=form if refused else None, results=summary), status=status)
