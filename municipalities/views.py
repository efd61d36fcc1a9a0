"""Pages about the merger itself and the user's settings: the dispensation page, the API tokens and the
calendar feed; and the merger a user may see (or 404), which every merger page starts from."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.pages import form_submit

from .forms import ApiTokenForm, DispensationForm
from .models import Merger
from .permissions import Action, MergerAccess, accesses_for, merger_access
from .selectors import (
    active_feed_tokens,
    dispensation_window,
    live_feed_tokens,
    mergers_by_name,
    user_api_token,
    user_api_tokens,
)
from .services import merger_dispensation_set
from .tokens import api_token_create, api_token_revoke, feed_token_create, feed_token_revoke, feed_url

# --- the merger of a page -------------------------------------------------------------------------


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


@login_required
@require_http_methods(["GET", "POST"])
def merger_dispensation(request: HttpRequest, merger_id: int) -> HttpResponse:
    """The IT chief records the dispensation (applied, granted with its date, refused); the plan is
    recomputed in the background. Others who see the merger get 403, outsiders 404."""
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
        _merger, status = form_submit(form, lambda data: merger_dispensation_set(
            merger=merger, actor=request.user, status=data["dispensation_status"],
            date=data["dispensation_date"], reference=data["dispensation_reference"],
            expected_version=data["version"],
        ))
        if status is None:
            messages.success(request, _("The dispensation is saved; the plan is being recomputed."))
            return redirect(merger.get_absolute_url())
    return render(request, "municipalities/dispensation.html", {"merger": merger, "form": form}, status=status)


# --- settings: API tokens and the calendar feed ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: create one (its value is shown once) and see the others."""
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
    tokens = user_api_tokens(request.user)
    return render(
        request, "municipalities/settings_tokens.html",
        {"form": form, "tokens": tokens, "created_raw": created_raw}, status=status,
    )


@login_required
@require_POST
def settings_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's API tokens (someone else's token is a 404)."""
    token = user_api_token(request.user, token_id)
    if token is None:
        raise Http404(_("No such token."))
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("settings-tokens")


@login_required
@require_http_methods(["GET", "POST"])
def settings_feed(request: HttpRequest) -> HttpResponse:
    """The calendar feed: create a link (shown once, one URL per merger) or revoke the current one."""
    accesses = accesses_for(request.user)
    mergers = mergers_by_name(accesses)
    links = []
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            for token in live_feed_tokens(request.user):
                feed_token_revoke(token=token, actor=request.user)
            messages.success(request, _("Your calendar links are revoked."))
            return redirect("settings-feed")
        _token, raw = feed_token_create(user=request.user)
        links = [{"merger": m, "url": feed_url(request, m.pk, raw)} for m in mergers]
    active = active_feed_tokens(request.user)
    return render(
        request, "municipalities/settings_feed.html",
        {"links": links, "active": active, "mergers": mergers},
        status=201 if links else 200,
    )


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("settings-tokens"))
