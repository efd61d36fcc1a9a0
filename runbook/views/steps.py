"""Pages of the runbook: the step list, a step's detail, status changes, comments, sign-offs and the review
of checkpoints (the timeline is in ``runbook.views.timeline``). Reads come from ``runbook.selectors`` (a
fixed number of queries per page); writes go through ``runbook.services``; permission comes from
``municipalities.permissions``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import today
from core.exceptions import ApplicationError, ConflictError
from core.pages import form_refusal, form_submit, is_htmx, safe_next
from municipalities.models import Merger, Role
from municipalities.permissions import Action, MergerAccess, accesses_for
from municipalities.views import merger_or_404
from runbook import services
from runbook.forms.steps import CommentForm, SignoffForm, StepFilterForm, StepTransitionForm
from runbook.models import (
    FINISHED_STATUSES,
    Step,
    StepKind,
    StepStatus,
)
from runbook.selectors.checkpoints import missing_go_message, missing_go_roles
from runbook.selectors.history import history
from runbook.selectors.overview import mergers_by_risk, verdict_counts
from runbook.selectors.step_pages import (
    merger_step,
    review_checkpoints,
    runbook_rows,
    step_filter_choices,
    step_surroundings,
)
from runbook.selectors.steps import placement_messages, step_change_message
from runbook.views.plan_panels import plan_panels

#: The order the next statuses are offered in: the usual move forward first.
_STATUS_ORDER = [StepStatus.IN_PROGRESS, StepStatus.DONE, StepStatus.BLOCKED, StepStatus.NOT_STARTED,
                 StepStatus.SKIPPED]


def allowed_transitions(step: Step) -> list[str]:
    """The statuses a step may move to next, in the usual order."""
    return [s for s in _STATUS_ORDER if s in services.TRANSITIONS[step.status]]


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
        "allowed_values": allowed_transitions(step) if can_change else [],
        "can_edit_plan": access.allows(Action.EDIT_PLAN),
        "form": form,
        "message": message,
        "today": today(),
    }


# --- runbook --------------------------------------------------------------------------------------


@login_required
def runbook_list(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The steps grouped by phase, with status, owner, dates and slack; filters; in-place status change."""
    merger, access = merger_or_404(request, merger_id)
    form = StepFilterForm(request.GET or None, **step_filter_choices(merger))
    filters = form.filters() if request.GET else {}
    filters["_access"] = access
    rows = [_row_context(s, access) for s in runbook_rows(merger, filters, request.user)]
    return render(
        request,
        "runbook/runbook.html",
        {"merger": merger, "access": access, "form": form, "rows": rows, "count": len(rows), "today": today(),
         "filtered": bool(request.GET), "can_edit_plan": access.allows(Action.EDIT_PLAN)},
    )


def _step_or_404(merger: Merger, step_id: int) -> Step:
    step = merger_step(merger, step_id)
    if step is None:
        raise Http404(_("No such step."))
    return step


def _step_detail_context(request, merger, access, step, *, transition_form=None, comment_form=None,
                         sign_form=None) -> dict:
    around = step_surroundings(step)
    preds, signoffs = around.preds, around.signoffs
    blockers = services.blocking_predecessors(preds)
    missing = missing_go_roles(signoffs)
    can_sign = (
        step.kind == StepKind.CHECKPOINT and step.status not in FINISHED_STATUSES
        and access.signing_role() is not None and access.allows(Action.SIGN_CHECKPOINT, step)
    )
    row = _row_context(step, access)
    return {
        **row,
        "merger": merger,
        "access": access,
        "preds": preds,
        "succs": around.succs,
        "blockers": blockers,
        "comments": around.comments,
        "events": around.events,
        "history": history(around.events),
        "signoffs": signoffs,
        "missing_signoffs": [Role(r).label for r in missing] if step.kind == StepKind.CHECKPOINT else [],
        "missing_message": missing_go_message(missing) if step.kind == StepKind.CHECKPOINT else "",
        "my_signoff": next((s for s in signoffs if s.role == access.signing_role()), None),
        "can_comment": access.allows(Action.COMMENT),
        "can_sign": can_sign,
        "signing_role": Role(access.signing_role()).label if access.signing_role() else "",
        "transition_form": transition_form
        or StepTransitionForm(initial={"version": step.version}, allowed=allowed_transitions(step)),
        "comment_form": comment_form or CommentForm(),
        "sign_form": sign_form or SignoffForm(initial={"version": step.version}),
        **plan_panels(step, access),
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
                expected_version=data["version"], confirmed=data["confirm"],
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
    _comment, status = form_submit(form, lambda data: services.comment_add(step=step, author=request.user, body=data["body"]))
    if status is None:
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
    _signoff, status = form_submit(form, lambda data: services.checkpoint_sign(
        step=step, actor=request.user, decision=data["decision"], comment=data["comment"],
        override_reason=data["override_reason"], expected_version=data["version"],
    ))
    if status is None:
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


# --- timeline: runbook/views/timeline.py ----------------------------------------------------------


# --- review ---------------------------------------------------------------------------------------

#: checkpoint cards on the review page (the soonest first); the rest are counted and on "my steps"
REVIEW_CARDS = 12
#: mergers on the review page (the worst first); all of them on the full list, REVIEW_MERGERS_PAGE a page
REVIEW_MERGERS = 10


def serves_as_advisor(accesses: dict[int, MergerAccess]) -> bool:
    """Is the user a vendor advisor somewhere (the review page's wording: "the mergers you serve")?"""
    return any(Role.VENDOR_ADVISOR in a.roles for a in accesses.values())


def _review_item(step: Step, access: MergerAccess, *, form=None) -> dict:
    """A checkpoint card: its sign-offs, the user's own, who is still missing and what it waits for."""
    signoffs = list(step.signoffs.all())
    role = access.signing_role()
    mine = next((s for s in signoffs if s.role == role), None)
    return {
        "step": step,
        "signoffs": signoffs,
        "mine": mine,
        "missing_message": missing_go_message(missing_go_roles(signoffs)),
        "blockers": services.blocking_predecessors(step.predecessor_links.all()),
        "role_label": Role(role).label if role else "",
        "next": reverse("review"),
        "form": form or SignoffForm(initial={"next": reverse("review"), "version": step.version}),
    }


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """Checkpoints awaiting the user's sign-off across their mergers (the soonest), and the mergers they
    serve at most at risk, with the count of each verdict (a fixed number of queries however many mergers)."""
    accesses = accesses_for(request.user)
    # counted in SQL and shown soonest first, REVIEW_CARDS at a time: an advisor of the whole country has
    # hundreds (the rest are on "my steps")
    found = review_checkpoints(accesses, limit=REVIEW_CARDS)
    awaiting = [_review_item(s, accesses[s.runbook.merger_id]) for s in found.awaiting]
    signed = [{"step": s} for s in found.signed]
    # every merger ranked (the whole country for a national advisor), the REVIEW_MERGERS worst shown and
    # counted by verdict; the rest on the full list, a page at a time (runbook/views/review.py)
    ranked = mergers_by_risk(accesses)
    rows = [{"merger": m, "summary": s} for m, s in ranked[:REVIEW_MERGERS]]
    return render(request, "runbook/review.html", {
        "awaiting": awaiting, "signed": signed, "rows": rows, "advisor": serves_as_advisor(accesses),
        "today": today(), "awaiting_count": found.awaiting_count, "signed_count": found.signed_count,
        "merger_count": len(ranked), "verdicts": verdict_counts(ranked),
    })
