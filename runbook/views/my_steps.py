"""My steps: the steps that concern the user across every merger they serve (read by
``runbook.selectors.my_steps``), with filters, pagination and a bulk status change through
``services.step_transition`` — each step in its own transaction, with a result per step (done, or refused
and why)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.clock import today
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from municipalities.permissions import Action, MergerAccess, accesses_for
from runbook import services
from runbook.forms.my_steps import EVERY, BulkTransitionForm, MyStepsFilterForm
from runbook.models import StepStatus
from runbook.selectors.my_steps import (
    concerning_by_id,
    my_steps_filter_choices,
    my_steps_filtered,
    soonest_ids,
    steps_concerning,
    steps_in_order,
)

PAGE_SIZE = 50


def _context(request: HttpRequest, accesses: dict[int, MergerAccess], *, bulk_form=None, results=None) -> dict:
    on = today()
    form = MyStepsFilterForm(request.GET or None, **my_steps_filter_choices(accesses))
    filters = form.filters() if request.GET else {}
    qs = my_steps_filtered(steps_concerning(request.user, accesses), filters, accesses, on=on, every=EVERY)
    # the page's ids first (a narrow sort, however many steps the country has), then those 50 rows whole
    page = Paginator(soonest_ids(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    steps = steps_in_order(list(page.object_list))
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
    found = concerning_by_id(request.user, accesses, list(chosen))
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
