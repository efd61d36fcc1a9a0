"""Pages of plan editing (the IT chief): add a step, change a step's plan fields (on its own page, on the
step's page and in a row of the runbook), delete a step, add and remove dependencies through a search
picker, and the notice that follows the replan until the new dates are there.

Everything works as plain forms; htmx only loads the row form, the picker's results and the replan notice
in place. Writes go through ``runbook.services`` and ``runbook.services.plan``.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError, ConflictError
from core.pages import form_refusal, form_submit, is_htmx
from municipalities.permissions import Action
from municipalities.views import merger_or_404
from runbook import services
from runbook.forms.plan import ROW_FIELDS, DependencyAddForm, StepCreateForm, StepPlanForm
from runbook.selectors.plan import (
    comment_count,
    merger_runbook,
    replan_pending,
    runbook_step,
    step_dependency,
    step_search,
)
from runbook.selectors.step_pages import step_links
from runbook.selectors.steps import step_change_message
from runbook.services.plan import step_create, step_delete
from runbook.views.steps import _row_context, _step_detail_context, _step_or_404


def _refuse(request, *, row: bool = False) -> HttpResponse:
    """403: a page for a page, a line of text for a piece of one (htmx)."""
    message = _("Only the IT chief may change the plan.")
    if row and is_htmx(request):
        return HttpResponse(message, status=403)
    raise PermissionDenied(message)


def _saved_message(key: str) -> str:
    return _("The plan of %(key)s is saved; the plan is being recomputed.") % {"key": key}


# --- a new step -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def step_new(request: HttpRequest, merger_id: int) -> HttpResponse:
    """Add a step to the merger's runbook (IT chief); it lands at the end of its phase."""
    merger, access = merger_or_404(request, merger_id)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request)
    runbook = merger_runbook(merger)
    if runbook is None:
        raise Http404(_("This merger has no runbook yet."))
    form = StepCreateForm(request.POST or None, merger=merger, runbook=runbook)
    status = 200
    if request.method == "POST":
        step, status = form_submit(form, lambda _data: step_create(runbook=runbook, actor=request.user, data=form.values()))
        if status is None:
            messages.success(request, _("Step %(key)s is added; the plan is being recomputed.") % {"key": step.key})
            return redirect(step.get_absolute_url())
    return render(request, "runbook/plan/step_new.html", {
        "merger": merger, "access": access, "form": form, "focus": form.first_error_field(),
    }, status=status)


# --- a step's plan fields -------------------------------------------------------------------------


def _row_response(request, merger, access, step, *, plan_form=None, message: str = "", status: int = 200):
    context = {**_row_context(step, access, message=message), "merger": merger, "plan_form": plan_form,
               "plan_focus": plan_form.first_error_field() if plan_form is not None else None}
    if plan_form is None and replan_pending(merger.pk):
        context["poll_url"] = reverse("step-row", kwargs={"merger_id": merger.pk, "step_id": step.pk})
    return render(request, "includes/_step_row.html", context, status=status)


def _plan_form(data, *, step, merger, row: bool) -> StepPlanForm:
    """The page's form, or the row's few fields with ids of their own (many rows share a page)."""
    if row:
        return StepPlanForm(data, step=step, merger=merger, only=ROW_FIELDS, auto_id=f"row{step.pk}_%s")
    return StepPlanForm(data, step=step, merger=merger)


def _stale_form(request, merger, step_id: int, row: bool):
    """The user's input on the step as it is now: the hidden version moves on, so that saving again applies
    the input knowingly; the message says who changed the step meanwhile."""
    current = _step_or_404(merger, step_id)
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = _plan_form(data, step=current, merger=merger, row=row)
    form.is_valid()
    form.add_error(None, _("%(changed)s Your input is kept below: check it against the step as it is now "
                           "and save again to apply it.") % {"changed": step_change_message(current)})
    return current, form


@login_required
@require_http_methods(["GET", "POST"])
def step_plan_edit(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Change a step's plan fields. ``ui=row`` (htmx, the runbook list) takes a few fields and answers with
    the row; otherwise the page form, which redirects to the step after saving."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    row = (request.POST.get("ui") or request.GET.get("ui")) == "row" and is_htmx(request)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request, row=row)
    if request.method == "GET":
        form = _plan_form(None, step=step, merger=merger, row=row)
        if row:
            return render(request, "runbook/plan/_row_plan_form.html",
                          {"step": step, "merger": merger, "plan_form": form})
        return _page(request, merger, access, step, form)
    form = _plan_form(request.POST, step=step, merger=merger, row=row)
    status = 422
    if form.is_valid():
        changes = form.changes()
        try:
            if changes:
                services.step_update(step=step, actor=request.user, data=changes,
                                     expected_version=form.cleaned_data["version"])
        except ConflictError:
            step, form = _stale_form(request, merger, step_id, row)
            status = 409
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            message = _saved_message(step.key) if changes else _("Nothing was changed.")
            if row:
                return _row_response(request, merger, access, _step_or_404(merger, step_id), message=message)
            messages.success(request, message)
            return redirect(step.get_absolute_url())
    elif form.has_error("version"):
        status = 400
    if row:
        return _row_response(request, merger, access, step, plan_form=form, status=status)
    return _page(request, merger, access, step, form, status=status)


def _page(request, merger, access, step, form, *, status: int = 200) -> HttpResponse:
    return render(request, "runbook/plan/step_edit.html", {
        "merger": merger, "access": access, "step": step, "form": form, "focus": form.first_error_field(),
    }, status=status)


@login_required
@require_GET
def step_row(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """A row of the runbook list again (htmx polls it while the replan runs); a plain GET goes to the step."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not is_htmx(request):
        return redirect(step.get_absolute_url())
    pending = replan_pending(merger.pk)
    message = "" if pending else _("The plan is recomputed: the dates are new.")
    return _row_response(request, merger, access, step, message=message)


@login_required
@require_GET
def replan_status(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """The step page's notice while the replan runs (htmx polls it); once done, the step's new dates."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not is_htmx(request):
        return redirect(step.get_absolute_url())
    return render(request, "runbook/plan/_replan_status.html", {
        "merger": merger, "step": step, "replan_pending": replan_pending(merger.pk), "replan_done": True,
    })


# --- deleting a step ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def step_remove(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Confirm and delete a step that has not begun, with its dependencies (IT chief)."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            error, status = _("The form lacks the step's version: reload the page and try again."), 400
        else:
            try:
                step_delete(step=step, actor=request.user, expected_version=version)
            except ConflictError:
                error, status = step_change_message(step), 409
            except ApplicationError as exc:
                error, status = exc.message, 422
            else:
                messages.success(request, _("Step %(key)s is deleted; the plan is being recomputed.") % {"key": step.key})
                return redirect("merger-runbook", merger_id=merger.pk)
        step = _step_or_404(merger, step_id)
    preds, succs = step_links(step)
    return render(request, "runbook/plan/step_delete.html", {
        "merger": merger, "access": access, "step": step, "preds": preds, "succs": succs,
        "comment_count": comment_count(step), "error": error,
    }, status=status)


# --- dependencies ---------------------------------------------------------------------------------


def _detail_with_picker(request, merger, access, step, *, form=None, q: str = "", status: int = 200):
    context = _step_detail_context(request, merger, access, step)
    if form is not None:
        context["dependency_form"] = form
    picked = step_search(runbook_id=step.runbook_id, q=q, exclude_id=step.pk)
    context["picker"] = {"q": q, "steps": picked[0], "more": picked[1], "searched": bool(q.strip())}
    return render(request, "runbook/step_detail.html", context, status=status)


@login_required
@require_GET
def step_picker(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Steps of the same runbook matching ``q`` (key, name, municipality, area): the picker's results with
    htmx, else the step's page with them."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request, row=True)
    q = request.GET.get("q", "")[:200]
    if is_htmx(request):
        steps, more = step_search(runbook_id=step.runbook_id, q=q, exclude_id=step.pk)
        return render(request, "runbook/plan/_picker_results.html", {
            "merger": merger, "step": step,
            "picker": {"q": q, "steps": steps, "more": more, "searched": bool(q.strip())},
        })
    return _detail_with_picker(request, merger, access, step, q=q)


@login_required
@require_POST
def dependency_create(request: HttpRequest, merger_id: int, step_id: int) -> HttpResponse:
    """Link the step with the step chosen in the picker, as its predecessor or successor."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request)
    form = DependencyAddForm(request.POST)
    q = request.POST.get("q", "")[:200]
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        other = runbook_step(step.runbook_id, data["other"])
        if other is None:
            form.add_error("other", _("Choose a step of this runbook."))
        else:
            pred, succ = (other, step) if data["side"] == "predecessor" else (step, other)
            try:
                services.dependency_add(predecessor=pred, successor=succ, type=data["type"],
                                        lag_days=data["lag_days"], actor=request.user)
            except ApplicationError as exc:
                status = form_refusal(form, exc)
            else:
                messages.success(request, _("%(pred)s now comes before %(succ)s; the plan is being recomputed.")
                                 % {"pred": pred.key, "succ": succ.key})
                return redirect(step.get_absolute_url() + "#h-preds")
    return _detail_with_picker(request, merger, access, step, form=form, q=q, status=status)


@login_required
@require_POST
def dependency_delete(request: HttpRequest, merger_id: int, step_id: int, dependency_id: int) -> HttpResponse:
    """Remove one of the step's dependencies (either side)."""
    merger, access = merger_or_404(request, merger_id)
    step = _step_or_404(merger, step_id)
    if not access.allows(Action.EDIT_PLAN):
        return _refuse(request)
    dependency = step_dependency(step, dependency_id)
    if dependency is None:
        messages.info(request, _("That dependency is gone already."))
        return redirect(step.get_absolute_url() + "#h-preds")
    pred, succ = dependency.predecessor.key, dependency.successor.key
    services.dependency_remove(dependency=dependency, actor=request.user)
    messages.success(request, _("%(pred)s no longer comes before %(succ)s; the plan is being recomputed.")
                     % {"pred": pred, "succ": succ})
    return redirect(step.get_absolute_url() + "#h-preds")
