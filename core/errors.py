"""The error pages: 400, 403 (and a failed CSRF check), 404 and 500 in the site's look, in the user's
language, with the site navigation and a way back.

Under ``/api/`` every error stays JSON (``{"detail": …}``), as the API's own errors are; the calendar
feed's path answers in the feed's content type (``core.api.exceptions.not_found``).

The 400, 403 and 404 pages render with the request (the signed-in user's navigation); the 500 page renders
without a request context, since whatever failed may be the session, the database or a context processor.
"""
from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from core.api.exceptions import not_found as api_not_found

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    content_type = "text/calendar" if request.path.endswith(".ics") else "application/json"
    return HttpResponse(json.dumps({"detail": detail}), status=status, content_type=content_type)


def _page(request: HttpRequest, template: str, status: int, context: dict | None = None) -> HttpResponse:
    """The error page with the request's context (user, language); without it when that fails too."""
    try:
        body = loader.render_to_string(template, {"status": status, **(context or {})}, request=request)
    except Exception:  # noqa: BLE001 - an error page must not fail: fall back to the bare 500 page
        logger.exception("error page %s failed with the request context", template)
        body = loader.render_to_string("500.html", {"status": 500})
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a request the site cannot read (a malformed or disallowed request)."""
    if _is_api(request):
        return _api_error(request, 400, _("Bad request."))
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: the user may not see or do this; the message of the refusal when it has one."""
    reason = str(exception) if exception is not None and str(exception) else ""
    if _is_api(request):
        return _api_error(request, 403, reason or _("You do not have permission to perform this action."))
    return _page(request, "403.html", 403, {"reason": reason})


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: JSON under ``/api/`` (the API's own answer), the page elsewhere."""
    if _is_api(request):
        return api_not_found(request, exception)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: rendered without the request context, which may be what failed."""
    if _is_api(request):
        return _api_error(request, 500, _("A server error occurred."))
    return HttpResponse(loader.render_to_string("500.html", {"status": 500}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without a valid security token — mostly a page left open
    across a log-in, a log-out or a restart. Reload the page and send again."""
    if _is_api(request):
        return _api_error(request, 403, _("CSRF check failed. Reload the page and try again."))
    return _page(request, "403_csrf.html", 403)
